"""Who may see and change what in the registry. Views, API and services ask these."""

from __future__ import annotations

from dajiuzhu.core.scoping import region_in_scope

WINDOW_ROLES = {"county_admin", "township_handler", "village_worker"}


def can_register_in(actor, region_code: str) -> bool:
    """Inside the actor's jurisdiction; a township window also accepts a family from any
    other place of the same county (apply anywhere, 不受户籍地、居住地限制)."""
    if region_in_scope(actor, region_code, perm="registry.edit"):
        return True
    if getattr(actor, "role", None) == "township_handler" and actor.has_perm_code("registry.edit"):
        return region_code[:6] == actor.region_id[:6]
    return False


def can_edit_household(actor, household) -> bool:
    return region_in_scope(actor, household.region_code, perm="registry.edit")


def can_declare_facts_for_application(actor, household) -> bool:
    """The facts a family declares when it applies: its own jurisdiction's editors, and — apply
    anywhere — a township window of the same county taking the application of a family that lives
    in another township; and a resident applying online (掌上办) for the household they belong to.
    Only declared facts, only with an application: the household's other records stay with its own
    township."""
    if can_edit_household(actor, household) or can_register_in(actor, household.region_code):
        return True
    person_hash = getattr(actor, "person_id_hash", "")
    return (getattr(actor, "role", None) == "resident" and bool(person_hash)
            and household.members.filter(id_hash=person_hash).exists())


def can_view_identity(actor, household) -> bool:
    """Full ID numbers only for roles that need them, inside their jurisdiction."""
    return region_in_scope(actor, household.region_code, perm="registry.view_identity")
