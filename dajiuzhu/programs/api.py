"""Programs API (/api/v1/programs/): catalogue, standards, rule validation, evaluation, screening.

Reads need ``programs.view``; edits ``programs.edit`` (the county administrator). Evaluating
an item for a household reads the household through ``registry.selectors.household_get``,
so a household outside the caller's jurisdiction is 404.
"""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from dajiuzhu.core.errors import DomainError, Forbidden
from dajiuzhu.core.models import Job
from dajiuzhu.core.scoping import get_scoped, scope
from dajiuzhu.registry.models import Person

from . import selectors, services
from .facts import facts_for
from .jobs import KIND as SCREEN_KIND
from .jobs import screening_start
from .rules import fact_kinds
from .rules.language import FUNCTIONS
from .selectors import simulation_get
from .simulation import simulation_rule, simulation_standard
from .supporters import capacities

router = Router(tags=["programs"])

def _require(request, code: str) -> None:
    if not request.auth.has_perm_code(code):
        raise Forbidden(_("your role may not do this"))

# ---------------------------------------------------------------- schemas

class CategoryOut(Schema):
    code: str
    name: str
    order: int

class ItemOut(Schema):
    code: str
    name: str
    category: str
    category_name: str
    department: str
    department_name: str
    kind: str
    periodic: bool
    approval_level: str
    acceptance: str
    village_proxy: bool
    tier: str
    household_ceiling: Decimal | None
    active: bool
    proactive: bool
    version: int | None = None

    @staticmethod
    def resolve_category(obj) -> str:
        return obj.category.code

    @staticmethod
    def resolve_category_name(obj) -> str:
        return obj.category.name

    @staticmethod
    def resolve_department(obj) -> str:
        return obj.department.code

    @staticmethod
    def resolve_department_name(obj) -> str:
        return obj.department.name

    @staticmethod
    def resolve_version(obj) -> int | None:
        return obj.current_version.number if obj.current_version_id else None

class VersionOut(Schema):
    id: int
    number: int
    note: str
    created_at: dt.datetime
    created_by: str | None = None
    snapshot: dict[str, Any]

    @staticmethod
    def resolve_created_by(obj) -> str | None:
        return obj.created_by.get_username() if obj.created_by_id else None

class ItemDetailOut(ItemOut):
    description: str
    documents: list[str]
    eligibility: str
    benefit: str
    parameters: dict[str, Any]
    reason_eligible: str
    reason_ineligible: str
    cap_at_ceiling: bool
    excludes: list[str]
    versions: list[VersionOut]

    @staticmethod
    def resolve_excludes(obj) -> list[str]:
        return sorted(obj.excludes.values_list("code", flat=True))

    @staticmethod
    def resolve_versions(obj) -> list:
        return list(selectors.item_versions(item=obj))

class ItemIn(Schema):
    """Every field may be left out (a PATCH); ``null`` only where the item may really have no value
    (``household_ceiling``): elsewhere it is a 422, never a database error."""

    name: str = None
    category: str = None
    department: str = None
    kind: str = None
    periodic: bool = None
    approval_level: str = None
    acceptance: str = None
    village_proxy: bool = None
    documents: list[str] = None
    description: str = None
    eligibility: str = None
    benefit: str = None
    parameters: dict[str, Any] = None
    reason_eligible: str = None
    reason_ineligible: str = None
    household_ceiling: Decimal | None = None
    cap_at_ceiling: bool = None
    tier: str = None
    active: bool = None
    proactive: bool = None
    excludes: list[str] = None
    note: str = ""

class ItemCreateIn(ItemIn):
    code: str
    name: str
    category: str
    department: str
    eligibility: str

class StandardOut(Schema):
    id: int
    year: int
    county_code: str
    area: str
    name: str
    label: str
    amount: Decimal
    unit: str

class StandardIn(Schema):
    year: int
    county_code: str = Field(..., pattern=r"^\d{6}$")
    area: str = Field(..., pattern=r"^(urban|rural)$")
    name: str
    amount: Decimal
    label: str = ""
    unit: str = ""
    simulation_id: int | None = Field(None, description="the simulation of this very change, run before it (政策模拟)")

class StandardFilter(Schema):
    year: int | None = None
    county_code: str = ""

class RuleIn(Schema):
    text: str
    kind: str = Field("eligibility", pattern=r"^(eligibility|benefit)$")
    parameters: dict[str, Any] = {}

class RuleCheckOut(Schema):
    valid: bool
    message: str = ""
    error_kind: str = ""
    position: list[int] | None = None
    facts: list[str] = []
    standards: list[str] = []

class VocabularyOut(Schema):
    facts: dict[str, str]
    standards: list[str]
    functions: list[str]

class EvaluateIn(Schema):
    household_id: int
    on: dt.date | None = None
    applicant_id: int | None = None
    facts: dict[str, Any] = Field({}, description="declared facts that replace the registry's (e.g. per_capita_income)")

class EvaluationOut(Schema):
    item_code: str
    eligible: bool
    amount: Decimal | None
    periodic: bool
    reasons: list[str]
    refusal: str
    rule_version_id: int
    facts_used: dict[str, Any]

class ScreeningIn(Schema):
    region_prefix: str
    on: dt.date | None = None

class JobOut(Schema):
    id: uuid.UUID
    kind: str
    status: str
    region_code: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    result: dict[str, Any]
    message: str

class ScreeningHitOut(Schema):
    household_id: int
    region_code: str
    item_code: str = Field(..., alias="item.code")
    amount: Decimal | None
    screened_on: dt.date

class ScreeningHitFilter(Schema):
    region: str = ""
    item: str = ""

# ---------------------------------------------------------------- catalogue

def _detail(item):
    return item

@router.get("/categories", response=list[CategoryOut], operation_id="programs_category_list")
def category_list_endpoint(request):
    """The ten kinds of assistance."""
    _require(request, "programs.view")
    return list(selectors.category_list())

@router.get("/items", response=list[ItemOut], operation_id="programs_item_list")
def item_list_endpoint(request, category: str = "", q: str = "", active: bool = False):
    """The catalogue (the same for every region)."""
    _require(request, "programs.view")
    return list(selectors.item_list(actor=request.auth, category=category, q=q, active_only=active))

@router.get("/items/{code}", response=ItemDetailOut, operation_id="programs_item_get")
def item_get_endpoint(request, code: str):
    """One item with its rules and the history of its rule versions."""
    _require(request, "programs.view")
    return _detail(selectors.item_get(actor=request.auth, code=code))

@router.post("/items", response={201: ItemDetailOut}, operation_id="programs_item_create")
def item_create_endpoint(request, payload: ItemCreateIn):
    """Add an item (county administrator); its rules are validated, version 1 is recorded."""
    _require(request, "programs.edit")
    data = payload.dict(exclude_unset=True)
    code, note = data.pop("code"), data.pop("note", "")
    item = services.item_create(actor=request.auth, code=code, data=data, note=note)
    return 201, _detail(selectors.item_get(actor=request.auth, code=item.code))

@router.patch("/items/{code}", response=ItemDetailOut, operation_id="programs_item_update")
def item_update_endpoint(request, code: str, payload: ItemIn):
    """Change an item; a new rule version is recorded and audited (nothing is saved if a rule is invalid)."""
    _require(request, "programs.edit")
    item = selectors.item_get(actor=request.auth, code=code)
    data = payload.dict(exclude_unset=True)
    note = data.pop("note", "")
    services.item_update(actor=request.auth, item=item, data=data, note=note)
    return _detail(selectors.item_get(actor=request.auth, code=code))

# ---------------------------------------------------------------- standards

@router.get("/standards", response=list[StandardOut], operation_id="programs_standard_list")
def standard_list_endpoint(request, filters: Query[StandardFilter]):
    """Standards per year, county and urban/rural area (of the counties the caller may see)."""
    _require(request, "programs.view")
    return list(selectors.standard_list(actor=request.auth, county_code=filters.county_code, year=filters.year))

@router.put("/standards", response=StandardOut, operation_id="programs_standard_set")
def standard_set_endpoint(request, payload: StandardIn):
    """Set one standard of a year, county and area (audited)."""
    _require(request, "programs.edit")
    data = payload.dict()
    simulation_id = data.pop("simulation_id")
    simulation = simulation_get(actor=request.auth, pk=simulation_id) if simulation_id is not None else None
    return services.standard_set(actor=request.auth, simulation=simulation, **data)

# ---------------------------------------------------------------- rules

@router.post("/rules/validate", response=RuleCheckOut, operation_id="programs_rule_validate")
def rule_validate_endpoint(request, payload: RuleIn):
    """Check an eligibility rule or a benefit formula: syntax, names (with suggestions) and types."""
    _require(request, "programs.view")
    try:
        rule = services.expression_validate(text=payload.text, kind=payload.kind, parameters=payload.parameters)
    except DomainError as exc:
        return {"valid": False, "message": exc.message, "error_kind": exc.details.get("kind", ""),
                "position": exc.details.get("position")}
    return {"valid": True, "facts": sorted(rule.facts), "standards": sorted(rule.standards)}

@router.get("/rules/vocabulary", response=VocabularyOut, operation_id="programs_rule_vocabulary")
def rule_vocabulary_endpoint(request):
    """The names a rule may use: facts (with their kind), standards and functions."""
    _require(request, "programs.view")
    return {"facts": fact_kinds(), "standards": sorted(selectors.standard_names()), "functions": sorted(FUNCTIONS)}

@router.post("/items/{code}/evaluate", response=EvaluationOut, operation_id="programs_item_evaluate")
def item_evaluate_endpoint(request, code: str, payload: EvaluateIn):
    """Apply the item's rules to a household of the caller's jurisdiction (nothing is saved)."""
    from dajiuzhu.registry.selectors import household_get

    _require(request, "programs.view")
    household = household_get(actor=request.auth, pk=payload.household_id)
    item = selectors.item_get(actor=request.auth, code=code)
    on = payload.on or timezone.localdate()
    applicant = None
    if payload.applicant_id is not None:
        applicant = household.members.filter(pk=payload.applicant_id).first()
        if applicant is None:
            raise DomainError(_("the applicant is not a member of this household"), field="applicant_id")
    facts = facts_for(household_id=household.pk, on=on, applicant=applicant)
    kinds = fact_kinds()
    for name, value in payload.facts.items():
        if name not in kinds:
            raise DomainError(_("unknown fact “%(name)s”") % {"name": name}, field="facts")
        facts[name] = Decimal(str(value)) if kinds[name] == "money" else (
            bool(value) if kinds[name] == "bool" else int(value))
    evaluation = services.item_evaluate(item=item, facts=facts, on=on, region_code=household.region_code)
    return {**evaluation.__dict__, "facts_used": {k: (str(v) if isinstance(v, Decimal) else v)
                                                  for k, v in evaluation.facts_used.items()}}

# ---------------------------------------------------------------- screening

def _job(request, job_id: uuid.UUID) -> Job:
    qs = scope(Job.objects.filter(kind=SCREEN_KIND), request.auth, perm=selectors.RESULTS_PERM)
    job = qs.filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job

@router.post("/screenings", response={202: JobOut}, operation_id="programs_screening_start")
def screening_start_endpoint(request, payload: ScreeningIn):
    """Screen every household of a region against the catalogue (a background job)."""
    job = screening_start(actor=request.auth, region_prefix=payload.region_prefix, on=payload.on)
    return 202, job

@router.get("/screenings/{job_id}", response=JobOut, operation_id="programs_screening_status")
def screening_status_endpoint(request, job_id: uuid.UUID):
    """The state of a screening job (404 outside the caller's jurisdiction)."""
    job = _job(request, job_id)
    job.refresh_from_db()
    return job

@router.get("/screening-results", response=list[ScreeningHitOut], operation_id="programs_screening_results")
@paginate(PageNumberPagination, page_size=100)
def screening_results_endpoint(request, filters: Query[ScreeningHitFilter]):
    """Households the latest screening found eligible, per item (scoped to the caller's jurisdiction)."""
    _require(request, selectors.RESULTS_PERM)
    qs = selectors.screening_hits_for(actor=request.auth, region_prefix=filters.region)
    if filters.item:
        qs = qs.filter(item__code=filters.item)
    return qs.order_by("household_id", "item_id")


# ---------------------------------------------------------------- legal supporters


class SupporterCapacityOut(Schema):
    id: int
    name: str
    relation: str
    in_registry: bool
    lives_in: str
    age: int | None
    able: bool
    per_capita_income: Decimal | None
    reasons: list[str]


@router.get("/people/{person_id}/supporters", response=list[SupporterCapacityOut],
            operation_id="programs_supporter_capacity")
def supporter_capacity_endpoint(request, person_id: int, on: dt.date | None = None):
    """The person's current legal supporters, each able or unable on ``on`` (today) by the county's standards."""
    _require(request, "programs.view")
    person = get_scoped(Person.objects.select_related("household"), request.auth, perm="registry.view", pk=person_id)
    return [c.as_dict() for c in capacities(person, on=on or timezone.localdate())]


# ---------------------------------------------------------------- simulations (政策模拟)


class StandardSimulationIn(Schema):
    county_code: str = Field(..., pattern=r"^\d{6}$")
    year: int
    area: str = Field(..., pattern=r"^(urban|rural)$")
    name: str
    amount: Decimal


class RuleSimulationIn(Schema):
    county_code: str = Field(..., pattern=r"^\d{6}$")
    code: str
    eligibility: str | None = None
    benefit: str | None = None


class SimulationOut(Schema):
    id: int
    kind: str
    county_code: str
    on: dt.date
    year: int
    changes: dict[str, Any]
    households: int
    people: int
    summary: dict[str, Any] = Field(description="gain/loss of households and people, monthly and yearly spending "
                                                "change, by_item and by_township")
    sample: list[dict[str, Any]]
    seconds: float
    created_at: dt.datetime
    applied_at: dt.datetime | None


@router.post("/simulations/standard", response={201: SimulationOut}, operation_id="programs_simulate_standard")
def simulate_standard_endpoint(request, payload: StandardSimulationIn):
    """The effect of a standard's new amount on today's registry, before it is set (a closed year is refused)."""
    _require(request, "programs.edit")
    return 201, simulation_standard(actor=request.auth, **payload.dict())


@router.post("/simulations/rule", response={201: SimulationOut}, operation_id="programs_simulate_rule")
def simulate_rule_endpoint(request, payload: RuleSimulationIn):
    """The effect of an item's new rule (eligibility and/or benefit) on today's registry, before it is saved."""
    _require(request, "programs.edit")
    return 201, simulation_rule(actor=request.auth, **payload.dict())


@router.get("/simulations/{simulation_id}", response=SimulationOut, operation_id="programs_simulation_get")
def simulation_get_endpoint(request, simulation_id: int):
    _require(request, "programs.view")
    return simulation_get(actor=request.auth, pk=simulation_id)
