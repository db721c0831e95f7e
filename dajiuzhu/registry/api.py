"""Registry API (/api/v1/registry/): the same selectors, services and policies as the pages.

A household outside the caller's jurisdiction is 404; a role without the permission is 403
(department and social-organisation users see no registry); input is parsed by
``registry.validation`` exactly as the forms and the file import parse it.
"""

import datetime as dt
from decimal import Decimal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate
from pydantic import ConfigDict

from dajiuzhu.core.errors import DomainError, Forbidden, NotFound
from dajiuzhu.core.ids import refuse_id_number_in_url
from dajiuzhu.core.scoping import get_scoped, scope

from . import services
from .forms import filter_households
from .models import Household, Person, Relation, Supporter
from .selectors import (
    HouseholdFilters,
    household_facts_history,
    household_get,
    household_list,
    household_members,
    person_find_by_id_number,
    supporter_list,
)
from .validation import RowInvalid, parse_household_facts, parse_member

router = Router(tags=["registry"])


def _require(request, code: str) -> None:
    if not request.auth.has_perm_code(code):
        raise Forbidden(_("your role may not do this"))


def _invalid(exc: RowInvalid) -> DomainError:
    return DomainError(_("the input is not valid"), details={"problems": [
        {"field": field, "reason": reason} for field, reason in exc.problems]})


# ---------------------------------------------------------------------------------------------
# Schemas


class RegistryPersonOut(Schema):
    id: int
    name: str
    id_masked: str = Field(description="ID number, masked (3714**********123X)")
    sex: str
    birth_date: dt.date
    relation: str
    phone_masked: str
    household_id: int | None
    region_code: str
    deceased_on: dt.date | None


class RegistryMemberFactsOut(Schema):
    as_of: dt.date
    source: str
    health: str
    illness: str
    disability_category: str
    disability_grade: int | None
    adl_failed: int
    labour: str
    employment: str


class RegistryMemberOut(RegistryPersonOut):
    ethnicity: str
    marital_status: str
    education: str
    facts: list[RegistryMemberFactsOut] = Field(description="dated observations, newest first")


class RegistryHouseholdFactsOut(Schema):
    as_of: dt.date
    source: str
    monthly_wages: Decimal
    monthly_business_income: Decimal
    monthly_property_income: Decimal
    monthly_transfer_income: Decimal
    monthly_excluded_income: Decimal
    deposits: Decimal
    securities: Decimal
    commercial_insurance: Decimal
    vehicles: int
    vehicles_for_disability: int
    extra_houses: int
    annual_medical_expense: Decimal
    annual_education_expense: Decimal
    annual_rehabilitation_expense: Decimal
    annual_basic_living_expense: Decimal
    housing: str
    safe_water: bool


class RegistryHouseholdOut(Schema):
    id: int
    number: str
    region_code: str
    hukou_region_code: str
    address: str
    is_urban: bool
    head_name: str | None = None
    head_id_masked: str | None = None

    @staticmethod
    def resolve_head_name(obj) -> str | None:
        if isinstance(obj, dict):
            return obj.get("head_name")
        return obj.head.name if obj.head_id else None

    @staticmethod
    def resolve_head_id_masked(obj) -> str | None:
        if isinstance(obj, dict):
            return obj.get("head_id_masked")
        return obj.head.id_masked if obj.head_id else None


class RegistryHouseholdDetailOut(RegistryHouseholdOut):
    members: list[RegistryMemberOut]
    facts: list[RegistryHouseholdFactsOut] = Field(description="dated observations, newest first")


class RegistryHouseholdFilterIn(Schema):
    q: str = Field("", max_length=100, description="name prefix; a full ID number only in the body of "
                                                   "POST /households/search")
    region: str = Field("", description="region code prefix inside the jurisdiction")
    disability: bool = False
    elderly_alone: bool = False
    orphans: bool = False
    area: str = Field("", pattern="^(|urban|rural)$")


Text = str | None
Number = str | int | float | None


class RegistryStrictSchema(Schema):
    """Input: unknown fields are refused (422), values are parsed by ``registry.validation``."""

    model_config = ConfigDict(extra="forbid")


class RegistryMemberStatusIn(RegistryStrictSchema):
    health: Text = Field(None, description="healthy / chronic / serious, or 健康 / 慢性病 / 重病")
    illness: Text = None
    disability_category: Text = Field(None, description="visual, hearing, speech, physical, intellectual, mental, "
                                                        "multiple (or 视力, 肢体, …)")
    disability_grade: Number = Field(None, description="1 to 4")
    disability_certificate: Text = None
    adl_failed: Number = Field(None, description="daily-living items not managed, 0 to 6")
    labour: Text = Field(None, description="full / partial / none (or 有劳动能力, …)")
    employment: Text = None


class RegistryMemberIn(RegistryMemberStatusIn):
    name: str
    id_number: str = Field(description="18 characters, or an old 15-digit number")
    relation: str = Field(description="head, spouse, child, … or 户主, 配偶, 子女, …")
    sex: Text = Field(None, description="checked against the ID number if given")
    birth_date: Text = Field(None, description="checked against the ID number if given")
    phone: Text = None
    hukou_region_code: Text = None
    ethnicity: Text = None
    marital_status: Text = None
    education: Text = None


class RegistryHouseholdFactsValuesIn(RegistryStrictSchema):
    monthly_wages: Number = Field(None, description="yuan per month, average over the last 12 months")
    monthly_business_income: Number = None
    monthly_property_income: Number = None
    monthly_transfer_income: Number = None
    monthly_excluded_income: Number = None
    deposits: Number = None
    securities: Number = None
    commercial_insurance: Number = None
    vehicles: Number = None
    vehicles_for_disability: Number = None
    extra_houses: Number = None
    annual_medical_expense: Number = Field(None, description="yuan over the last 12 months")
    annual_education_expense: Number = None
    annual_rehabilitation_expense: Number = None
    annual_basic_living_expense: Number = None
    housing: Text = Field(None, description="safe, c_class, d_class, none (or 安全, C级危房, D级危房, 无房)")
    safe_water: bool | str | None = None


class RegistryHouseholdIn(RegistryStrictSchema):
    region_code: str = Field(description="12-digit residence village code")
    hukou_region_code: str = ""
    address: str = ""
    as_of: dt.date | None = None
    members: list[RegistryMemberIn] = Field(min_length=1, max_length=30)
    facts: RegistryHouseholdFactsValuesIn | None = None


class RegistryHouseholdFactsIn(RegistryStrictSchema):
    as_of: dt.date
    values: RegistryHouseholdFactsValuesIn


class RegistryMemberFactsIn(RegistryStrictSchema):
    as_of: dt.date
    values: RegistryMemberStatusIn


def _raw(schema: Schema) -> dict:
    return schema.model_dump(exclude_none=True)


class RegistryMoveIn(RegistryStrictSchema):
    to_household_id: int
    relation: str
    on: dt.date | None = None


class RegistryLookupIn(RegistryStrictSchema):
    id_number: str


# ---------------------------------------------------------------------------------------------
# Serialisation (from prefetched rows: no query per member)


def _household_detail(household: Household) -> dict:
    members = []
    for person in household_members(household=household):
        members.append({**{f: getattr(person, f) for f in (
            "id", "name", "id_masked", "sex", "birth_date", "relation", "phone_masked", "household_id", "region_code",
            "deceased_on", "ethnicity", "marital_status", "education")}, "facts": list(person.facts.all())})
    return {
        "id": household.pk, "number": household.number, "region_code": household.region_code,
        "hukou_region_code": household.hukou_region_code, "address": household.address, "is_urban": household.is_urban,
        "head_name": household.head.name if household.head else None,
        "head_id_masked": household.head.id_masked if household.head else None,
        "members": members, "facts": list(household_facts_history(household=household)),
    }


# ---------------------------------------------------------------------------------------------
# Endpoints


@router.get("/households", response=list[RegistryHouseholdOut], operation_id="registry_household_list")
@paginate(PageNumberPagination, page_size=50)
def household_list_endpoint(request, filters: Query[RegistryHouseholdFilterIn]):
    """Households in the caller's jurisdiction, filtered by name; masked identity only.

    An ID number in ``q`` is refused (422): it would stay in URLs and logs. Search by ID number
    with ``POST /households/search``.
    """
    _require(request, "registry.view")
    refuse_id_number_in_url(filters.q)
    return _households(request, filters)


@router.post("/households/search", response=list[RegistryHouseholdOut], operation_id="registry_household_search")
@paginate(PageNumberPagination, page_size=50)
def household_search_endpoint(request, filters: RegistryHouseholdFilterIn):
    """The household list with its filters in the body: the way to search by a full ID number."""
    _require(request, "registry.view")
    return _households(request, filters)


def _households(request, filters: RegistryHouseholdFilterIn):
    qs = household_list(actor=request.auth, filters=HouseholdFilters(q=filters.q, region=filters.region))
    return filter_households(qs, disability=filters.disability, elderly_alone=filters.elderly_alone,
                             orphans=filters.orphans, area=filters.area)


@router.get("/households/{household_id}", response=RegistryHouseholdDetailOut, operation_id="registry_household_get")
def household_get_endpoint(request, household_id: int):
    """One household with its members (and their dated facts) and its economic facts."""
    _require(request, "registry.view")
    return _household_detail(household_get(actor=request.auth, pk=household_id))


@router.post("/households", response={201: RegistryHouseholdDetailOut}, operation_id="registry_household_create")
def household_create_endpoint(request, payload: RegistryHouseholdIn):
    """Register a household: the same validation as the form and the file import."""
    _require(request, "registry.edit")
    problems: list[tuple[str, str]] = []
    members = []
    for index, raw in enumerate(payload.members):
        try:
            members.append(parse_member(_raw(raw)))
        except RowInvalid as exc:
            problems.extend((f"members[{index}].{field}", reason) for field, reason in exc.problems)
    facts = None
    if payload.facts is not None:
        try:
            facts = parse_household_facts(_raw(payload.facts))
        except RowInvalid as exc:
            problems.extend((f"facts.{field}", reason) for field, reason in exc.problems)
    if problems:
        raise _invalid(RowInvalid(problems))
    household = services.household_register(
        actor=request.auth, region_code=payload.region_code, hukou_region_code=payload.hukou_region_code,
        address=payload.address, members=members, facts=facts, as_of=payload.as_of,
    )
    # The caller just entered this data; a household registered elsewhere in the county
    # (apply anywhere) is returned once, though it is outside the caller's jurisdiction.
    return 201, _household_detail(household)


@router.post("/households/{household_id}/facts", response={201: RegistryHouseholdFactsOut},
             operation_id="registry_household_facts_record")
def household_facts_endpoint(request, household_id: int, payload: RegistryHouseholdFactsIn):
    """Record a dated observation of the household's income, assets, spending and housing."""
    _require(request, "registry.view")
    household = household_get(actor=request.auth, pk=household_id)
    _require(request, "registry.edit")
    try:
        values = parse_household_facts(_raw(payload.values))
    except RowInvalid as exc:
        raise _invalid(exc) from None
    facts = services.household_facts_record(actor=request.auth, household=household, as_of=payload.as_of,
                                            values=values)
    return 201, facts


def _person(request, person_id: int) -> Person:
    return get_scoped(Person.objects.select_related("household"), request.auth, perm="registry.view", pk=person_id)


@router.post("/people/{person_id}/facts", response={201: RegistryMemberFactsOut}, operation_id="registry_member_facts_record")
def member_facts_endpoint(request, person_id: int, payload: RegistryMemberFactsIn):
    """Record a dated observation of a member's health, disability, self-care, labour and work."""
    _require(request, "registry.view")
    person = _person(request, person_id)
    _require(request, "registry.edit")
    # parse_member checks the status values; the person's own identity completes the row.
    raw = {"name": person.name, "id_number": person.id_number, "relation": person.relation or "other",
           **_raw(payload.values)}
    if payload.as_of > timezone.localdate():
        raise DomainError(_("facts cannot describe a future date"), field="as_of")
    try:
        values = parse_member(raw).status_values()
    except RowInvalid as exc:
        raise _invalid(exc) from None
    facts = services.member_facts_record(actor=request.auth, person=person, as_of=payload.as_of, values=values)
    return 201, facts


@router.post("/people/{person_id}/move", response=RegistryPersonOut, operation_id="registry_member_move")
def member_move_endpoint(request, person_id: int, payload: RegistryMoveIn):
    """Move a member to another household (audited); the old membership ends on ``on``."""
    _require(request, "registry.view")
    person = _person(request, person_id)
    target = get_object_or_404(scope(Household.objects.all(), request.auth, perm="registry.view"),
                               pk=payload.to_household_id)
    _require(request, "registry.edit")
    if payload.relation not in Relation.values or payload.relation == Relation.HEAD:
        raise DomainError(_("unknown value %(value)s") % {"value": payload.relation}, field="relation")
    return services.member_move(actor=request.auth, person=person, to_household=target, relation=payload.relation,
                                on=payload.on)


@router.post("/people/lookup", response=RegistryPersonOut, operation_id="registry_person_lookup")
def person_lookup_endpoint(request, payload: RegistryLookupIn):
    """Find a person by full ID number (exact, through the blind index; sent in the body, never the URL)."""
    _require(request, "registry.view")
    person = person_find_by_id_number(actor=request.auth, id_number=payload.id_number)
    if person is None:
        raise NotFound(_("no person with this ID number in your jurisdiction"))
    return person


# ---------------------------------------------------------------------------------------------
# Legal supporters (赡养、抚养、扶养义务人)


class RegistrySupporterOut(Schema):
    id: int
    person_id: int
    relation: str
    in_registry: bool = Field(description="the supporter is a person of the registry (linked)")
    supporter_person_id: int | None
    name: str
    id_masked: str
    birth_date: dt.date | None
    residence_region_code: str
    full_time_student: bool
    receives_assistance: bool
    disability_grade: int | None
    per_capita_income: Decimal | None
    recorded_on: dt.date
    ended_on: dt.date | None

    @staticmethod
    def resolve_in_registry(obj) -> bool:
        return obj.supporter_person_id is not None


class RegistrySupporterIn(RegistryStrictSchema):
    relation: str = Field(description="parent, child, spouse, grandchild, grandparent or sibling: what the "
                                      "supporter is to the person")
    id_number: str = Field("", description="the supporter's ID number: links a person of the registry")
    name: str = ""
    birth_date: dt.date | None = None
    residence_region_code: str = ""
    full_time_student: bool = False
    receives_assistance: bool = Field(False, description="receives 低保 or 特困 support")
    disability_grade: int | None = None
    per_capita_income: Decimal | None = Field(None, description="the supporter's household per-capita monthly income")


class RegistrySupporterEndIn(RegistryStrictSchema):
    on: dt.date
    reason: str


@router.get("/people/{person_id}/supporters", response=list[RegistrySupporterOut],
            operation_id="registry_supporter_list")
def supporter_list_endpoint(request, person_id: int):
    """The legal supporters recorded for a person (current and ended)."""
    _require(request, "registry.view")
    return supporter_list(person=_person(request, person_id))


@router.post("/people/{person_id}/supporters", response={201: RegistrySupporterOut},
             operation_id="registry_supporter_add")
def supporter_add_endpoint(request, person_id: int, payload: RegistrySupporterIn):
    """Record a legal supporter; an ID number (in the body, never the URL) links one in the registry."""
    _require(request, "registry.view")
    person = _person(request, person_id)
    _require(request, "registry.edit")
    return 201, services.supporter_add(actor=request.auth, person=person, **payload.dict())


@router.post("/supporters/{supporter_id}/end", response=RegistrySupporterOut, operation_id="registry_supporter_end")
def supporter_end_endpoint(request, supporter_id: int, payload: RegistrySupporterEndIn):
    """No longer a supporter from a date (a death, a divorce, a court decision)."""
    _require(request, "registry.view")
    supporter = get_scoped(Supporter.objects.select_related("person__household"), request.auth,
                           perm="registry.view", pk=supporter_id)
    _require(request, "registry.edit")
    return services.supporter_end(actor=request.auth, supporter=supporter, on=payload.on, reason=payload.reason)
