"""Registry pages: search, household detail, registration and the edits of a household.

Thin views: parse the form, call one selector or service, render. A household outside the
user's jurisdiction is a 404 (``selectors.household_get``); a role without the permission
gets 403; a domain refusal is shown as a message and changes nothing.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dajiuzhu.core.audit import audit_read_of_identity
from dajiuzhu.core.errors import DomainError
from dajiuzhu.core.ids import normalise_id_number
from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.panels import household_panels
from dajiuzhu.core.scoping import get_scoped, region_in_scope, scope
from dajiuzhu.core.views import page_of, perm_required, query_without_page
from dajiuzhu.regions.selectors import region_names

from . import services
from .forms import (
    DeathForm,
    HouseholdCreateForm,
    HouseholdEditForm,
    HouseholdFactsForm,
    HouseholdSearchForm,
    MemberAddForm,
    MemberFactsForm,
    MemberFormSet,
    MemberMoveForm,
)
from .models import Household, HouseholdFacts, MemberFacts, Membership, Person
from .policies import can_edit_household, can_view_identity
from .selectors import (
    HouseholdFilters,
    household_facts_history,
    household_get,
    household_list,
    household_members,
    person_find_by_id_number,
)


def member_count_subquery():
    """Living members per household, as a subquery (no join, no duplicate rows)."""
    counts = (
        Person.objects.filter(household=OuterRef("pk"), deceased_on__isnull=True)
        .order_by().values("household").annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def search_households(actor, form: HouseholdSearchForm):
    """The search, through ``selectors.household_list`` (the jurisdiction) and the form's flags."""
    if not form.is_valid():
        return household_list(actor=actor).none()
    filters = HouseholdFilters(q=form.cleaned_data.get("q", ""), region=form.region_prefix())
    qs = form.filter_queryset(household_list(actor=actor, filters=filters))
    return qs.annotate(member_count=member_count_subquery())


def _is_id_number(text: str) -> bool:
    """A full ID number (18 characters, or 15 digits) as typed into the search box."""
    number = normalise_id_number(text or "")
    return len(number) == 18 and number[:17].isdigit()


@perm_required("registry.view")
def household_search(request):
    """The registry search.

    The form is sent by POST and answered with a redirect (post/redirect/get), so that a full ID
    number typed into the box never lands in a URL, the browser history or the web server's log:
    an ID number opens the household at once; anything else becomes the GET query of the list,
    which pages and can be bookmarked. A GET that carries an ID number (an old bookmark, a hand-
    typed address) is not searched: it is answered with a redirect that drops the number.
    """
    if request.method == "POST":
        q = request.POST.get("q", "").strip()
        if _is_id_number(q):
            return _open_by_id_number(request, q)
        params = request.POST.copy()
        for key in ("csrfmiddlewaretoken", "page"):
            params.pop(key, None)
        params = {k: v for k, v in params.items() if v not in ("", None)}
        query = urlencode(params)
        return redirect(f"{request.path}?{query}" if query else request.path)
    if _is_id_number(request.GET.get("q", "")):
        params = request.GET.copy()
        params.pop("q")
        messages.info(request, _("For privacy, ID numbers are not searched from the address bar: type the number "
                                 "into the search box."))
        query = params.urlencode()
        return redirect(f"{request.path}?{query}" if query else request.path)
    form = HouseholdSearchForm(request.GET, actor=request.user)
    page = page_of(request, search_households(request.user, form))
    names = region_names(h.region_code for h in page.object_list)
    rows = [(household, names.get(household.region_code, household.region_code)) for household in page.object_list]
    return render(request, "registry/household_search.html", {
        "form": form, "page": page, "rows": rows, "query": query_without_page(request),
    })


def _open_by_id_number(request, id_number: str):
    person = person_find_by_id_number(actor=request.user, id_number=id_number)
    if person is None or person.household_id is None:
        messages.error(request, _("No member of a household in your jurisdiction has this ID number."))
        return redirect("registry:household_search")
    return redirect("registry:household_detail", pk=person.household_id)


ACTION_LABELS = {
    "household.register": gettext_lazy("household registered"),
    "household.update": gettext_lazy("household changed"),
    "household.facts": gettext_lazy("household facts recorded"),
    "member.add": gettext_lazy("member added"),
    "member.move": gettext_lazy("member moved"),
    "member.facts": gettext_lazy("member facts recorded"),
    "person.death": gettext_lazy("death recorded"),
    "identity.view": gettext_lazy("full ID number viewed"),
}
_LABELLED_MODELS = (Household, Person, HouseholdFacts, MemberFacts)


def field_label(name: str) -> str:
    """The verbose name of a registry field, for the history of changes."""
    for model in _LABELLED_MODELS:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if getattr(field, "verbose_name", None) and not field.is_relation:
            return str(field.verbose_name)
    return name


def _changes(event: AuditEvent) -> list[tuple[str, object, object]]:
    old = event.old if isinstance(event.old, dict) else {}
    new = event.new if isinstance(event.new, dict) else {}
    keys = list(dict.fromkeys([*old, *new]))
    return [(field_label(key), old.get(key), new.get(key)) for key in keys]


@require_POST
@perm_required("registry.view")
def person_lookup(request):
    """Find a household by a member's full ID number, sent in the body so it never lands in a URL or log."""
    return _open_by_id_number(request, request.POST.get("id_number", ""))


def _household_events(actor, household: Household, person_ids) -> list[AuditEvent]:
    """The history of changes of the household and its (past and present) members, newest first."""
    person_ids = [str(pk) for pk in person_ids]
    qs = scope(AuditEvent.objects.all(), actor, perm="registry.view")
    events = list(qs.filter(
        Q(object_type="registry.household", object_id=str(household.pk))
        | Q(object_type="registry.person", object_id__in=person_ids)
    ).order_by("-id")[:200])
    for event in events:
        event.action_label = ACTION_LABELS.get(event.action, event.action)
        event.changes = _changes(event)
    return events


@perm_required("registry.view")
def household_detail(request, pk: int):
    household = household_get(actor=request.user, pk=pk)
    members = list(household_members(household=household))
    memberships = list(Membership.objects.filter(household=household).select_related("person").order_by("-start", "-id"))
    facts = list(household_facts_history(household=household))
    person_ids = {m.pk for m in members} | {m.person_id for m in memberships}
    events = _household_events(request.user, household, person_ids)
    names = region_names([household.region_code, household.hukou_region_code])
    rows = []
    for person in members:
        history = list(person.facts.all())  # prefetched, newest first
        rows.append({"person": person, "latest": history[0] if history else None, "history": history})
    return render(request, "registry/household_detail.html", {
        "household": household, "members": rows, "memberships": memberships, "facts": facts,
        "latest_facts": facts[0] if facts else None, "events": events,
        "region_name": names.get(household.region_code, household.region_code),
        "hukou_name": names.get(household.hukou_region_code, household.hukou_region_code),
        "can_edit": can_edit_household(request.user, household),
        "can_view_identity": can_view_identity(request.user, household),
        # Sections of the apps above the registry (credit flag, assistance, indices, results).
        "panels_top": household_panels(request.user, "top"),
        "panels_bottom": household_panels(request.user, "bottom"),
    })


@require_POST
@perm_required("registry.view")
def person_identity(request, pk: int):
    """Show a full ID number: only for roles with ``registry.view_identity``; every view is audited."""
    person = get_scoped(Person.objects.all(), request.user, perm="registry.view", pk=pk)
    if not can_view_identity(request.user, person):
        raise PermissionDenied(_("Your role may not see full ID numbers."))
    audit_read_of_identity(actor=request.user, obj=person)
    template = "registry/identity_fragment.html" if request.headers.get("HX-Request") else "registry/identity.html"
    response = render(request, template, {"person": person})
    response["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------------------------------------
# Writes


def _refused(request, form, exc: DomainError) -> None:
    field = exc.field if exc.field in getattr(form, "fields", {}) else None
    if form is not None:
        form.add_error(field, exc.message)
    else:
        messages.error(request, exc.message)


@perm_required("registry.edit")
def household_create(request):
    form = HouseholdCreateForm(request.POST or None, actor=request.user)
    formset = MemberFormSet(request.POST or None, prefix="members")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        try:
            household = services.household_register(
                actor=request.user, region_code=data["region_code"], hukou_region_code=data["hukou_region_code"],
                address=data["address"], members=formset.members, facts=form.values, as_of=data["as_of"],
            )
        except DomainError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("Household %(number)s registered.") % {"number": household.number})
            if region_in_scope(request.user, household.region_code, perm="registry.view"):
                return redirect("registry:household_detail", pk=household.pk)
            # Applied anywhere: the household belongs to its residence township from now on.
            messages.info(request, _("It lives outside your jurisdiction; its township handles it from now on."))
            return redirect("registry:household_search")
    return render(request, "registry/household_form.html", {"form": form, "formset": formset})


def _editable_household(request, pk: int) -> Household:
    household = household_get(actor=request.user, pk=pk)
    if not can_edit_household(request.user, household):
        raise PermissionDenied(_("You may not change this household."))
    return household


@perm_required("registry.edit")
def household_edit(request, pk: int):
    household = _editable_household(request, pk)
    form = HouseholdEditForm(request.POST or None, actor=request.user, household=household)
    if request.method == "POST" and form.is_valid():
        try:
            services.household_update(actor=request.user, household=household, **form.cleaned_data)
        except DomainError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("Household changed."))
            return redirect("registry:household_detail", pk=household.pk)
    return render(request, "registry/simple_form.html", {
        "household": household, "form": form, "title": _("Change household %(number)s") % {"number": household.number},
    })


@perm_required("registry.edit")
def household_facts(request, pk: int):
    household = _editable_household(request, pk)
    latest = household.facts.order_by("-as_of").first()
    initial = {"as_of": timezone.localdate()}
    if latest:
        initial.update({field: getattr(latest, field) for field in HouseholdFactsForm.base_fields if field != "as_of"})
    form = HouseholdFactsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.household_facts_record(actor=request.user, household=household, as_of=form.cleaned_data["as_of"],
                                            values=form.values)
        except DomainError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("Household facts recorded."))
            return redirect("registry:household_detail", pk=household.pk)
    return render(request, "registry/simple_form.html", {
        "household": household, "form": form,
        "title": _("Record household facts of %(number)s") % {"number": household.number},
    })


@perm_required("registry.edit")
def member_add(request, pk: int):
    household = _editable_household(request, pk)
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_add(actor=request.user, household=household, member=form.member,
                                as_of=form.cleaned_data["as_of"])
        except DomainError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("Member added."))
            return redirect("registry:household_detail", pk=household.pk)
    return render(request, "registry/simple_form.html", {
        "household": household, "form": form, "title": _("Add a member to %(number)s") % {"number": household.number},
    })


def _member_of(request, household: Household, person_pk: int) -> Person:
    return get_scoped(Person.objects.select_related("household"), request.user, perm="registry.view",
                      pk=person_pk, household=household)


@perm_required("registry.edit")
def member_move(request, pk: int, person_pk: int):
    household = _editable_household(request, pk)
    person = _member_of(request, household, person_pk)
    form = MemberMoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target = scope(Household.objects.all(), request.user, perm="registry.view").filter(
            number=data["to_household"].strip()).first()
        if target is None:
            form.add_error("to_household", _("no household with this number in your jurisdiction"))
        else:
            try:
                services.member_move(actor=request.user, person=person, to_household=target,
                                     relation=data["relation"], on=data["on"])
            except DomainError as exc:
                _refused(request, form, exc)
            else:
                messages.success(request, _("%(name)s moved to household %(number)s.") % {
                    "name": person.name, "number": target.number})
                return redirect("registry:household_detail", pk=target.pk)
    return render(request, "registry/simple_form.html", {
        "household": household, "form": form, "person": person,
        "title": _("Move %(name)s to another household") % {"name": person.name},
    })


@perm_required("registry.edit")
def member_facts(request, pk: int, person_pk: int):
    household = _editable_household(request, pk)
    person = _member_of(request, household, person_pk)
    latest = person.facts.order_by("-as_of").first()
    initial = {"as_of": timezone.localdate()}
    if latest:
        initial.update({field: getattr(latest, field) for field in MemberFactsForm.base_fields if field != "as_of"})
    form = MemberFactsForm(request.POST or None, initial=initial, person=person)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_facts_record(actor=request.user, person=person, as_of=form.cleaned_data["as_of"],
                                         values=form.values)
        except DomainError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("Facts of %(name)s recorded.") % {"name": person.name})
            return redirect("registry:household_detail", pk=household.pk)
    return render(request, "registry/simple_form.html", {
        "household": household, "form": form, "person": person,
        "title": _("Record facts of %(name)s") % {"name": person.name},
    })


@perm_required("registry.edit")
def member_death(request, pk: int, person_pk: int):
    household = _editable_household(request, pk)
    person = _member_of(request, household, person_pk)
    form = DeathForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_record_death(actor=request.user, person=person, on=form.cleaned_data["on"])
        except DomainError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("The death of %(name)s is recorded.") % {"name": person.name})
            return redirect("registry:household_detail", pk=household.pk)
    return render(request, "registry/simple_form.html", {
        "household": household, "form": form, "person": person,
        "title": _("Record the death of %(name)s") % {"name": person.name},
    })
