"""Roles and what each may do. A permission code is ``<area>.<verb>``.

Where a role may act is its user's region (a code prefix, see ``core.scoping``); what it may
do there is this table. Views, API endpoints and selectors ask ``user.has_perm_code``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COUNTY_ADMIN = "county_admin", _("county administrator")
    COUNTY_APPROVER = "county_approver", _("county approver")
    TOWNSHIP_HANDLER = "township_handler", _("township handler")
    TOWNSHIP_APPROVER = "township_approver", _("township approver")
    VILLAGE_WORKER = "village_worker", _("village worker")
    DEPARTMENT = "department", _("department user")
    SOCIAL_ORG = "social_org", _("social organisation user")
    SUPERVISOR = "supervisor", _("supervisor")
    RESIDENT = "resident", _("resident")
    CITY_SUPERVISOR = "city_supervisor", _("city civil-affairs supervisor")
    PROVINCE_SUPERVISOR = "province_supervisor", _("province civil-affairs supervisor")


_READ_ALL = {
    "registry.view", "cases.view", "programs.view", "programs.view_results", "checks.view", "credit.view", "indices.view",
    "alerts.view", "results.view", "dashboards.view", "jobs.view",
    "social.view", "employment.view",
}

# Flat management (supervision app): read its lists, record a spot check, answer complaints, take exams.
_SUPERVISION_STAFF = {"supervision.view", "supervision.check", "supervision.complaints", "training.take"}
# City and province bureaus: figures of their counties, never a person's data.
_REGIONAL = frozenset({"dashboards.view", "supervision.view", "supervision.regional"})

PERMISSIONS: dict[str, frozenset[str]] = {
    Role.COUNTY_ADMIN: frozenset(_READ_ALL | {
        "registry.edit", "registry.import", "registry.view_identity", "cases.create", "cases.handle",
        "programs.edit", "checks.run", "credit.manage", "indices.edit", "indices.run", "alerts.followup",
        "alerts.manage", "results.record", "payments.manage", "payments.approve", "accounts.manage",
        "supervision.manage", "social.manage", "social.dispatch", "employment.manage",
    } | _SUPERVISION_STAFF),
    Role.COUNTY_APPROVER: frozenset(_READ_ALL | {
        "registry.view_identity", "cases.approve", "cases.handle", "checks.run", "credit.manage",
        "payments.approve", "alerts.followup",
    } | _SUPERVISION_STAFF),
    Role.TOWNSHIP_HANDLER: frozenset(_READ_ALL - {"programs.view"} | {
        "programs.view", "registry.edit", "registry.import", "registry.view_identity", "cases.create",
        "cases.handle", "checks.run", "alerts.followup", "results.record", "payments.manage",
        "social.dispatch", "employment.manage",
    } | _SUPERVISION_STAFF),
    Role.TOWNSHIP_APPROVER: frozenset(_READ_ALL | {
        "registry.view_identity", "cases.approve", "cases.handle", "checks.run", "payments.approve", "alerts.followup",
    } | _SUPERVISION_STAFF),
    Role.VILLAGE_WORKER: frozenset({
        "registry.view", "registry.edit", "cases.view", "cases.create", "programs.view", "programs.view_results",
        "alerts.view", "alerts.followup", "indices.view", "results.view", "credit.view", "dashboards.view",
        "training.take", "social.view", "social.rate",
    }),
    # A department sees only what it delivered and what it gave; never the registry. ``programs.view``
    # is the catalogue only: results about households (``programs.view_results``) go with registry-like
    # jurisdiction, never to departments or social organisations.
    Role.DEPARTMENT: frozenset({"checks.deliver", "results.deliver", "programs.view"}),
    # An organisation's users see only the service orders of their organisation (social.policies).
    Role.SOCIAL_ORG: frozenset({"results.deliver", "programs.view", "social.serve"}),
    # Supervisors read everything in their region, the audit log included, and change nothing.
    Role.SUPERVISOR: frozenset(_READ_ALL | {"audit.view", "supervision.view", "supervision.check"}),
    Role.CITY_SUPERVISOR: _REGIONAL,
    Role.PROVINCE_SUPERVISOR: _REGIONAL,
    # Residents see their own household through the portal only (no region jurisdiction).
    Role.RESIDENT: frozenset(),
}

# The region level each role is normally bound to (used by forms and the demo accounts).
ROLE_LEVEL = {
    Role.COUNTY_ADMIN: 3, Role.COUNTY_APPROVER: 3, Role.TOWNSHIP_HANDLER: 4, Role.TOWNSHIP_APPROVER: 4,
    Role.VILLAGE_WORKER: 5, Role.DEPARTMENT: 3, Role.SOCIAL_ORG: 3, Role.SUPERVISOR: 3, Role.RESIDENT: 5,
    Role.CITY_SUPERVISOR: 2, Role.PROVINCE_SUPERVISOR: 1,
}
