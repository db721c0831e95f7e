"""Forms of the registry pages. Parsing and validation are ``registry.validation``'s, so a
form, the API and the file import accept and refuse exactly the same input."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dajiuzhu.regions.models import Region
from dajiuzhu.regions.selectors import region_list

from .models import (
    DisabilityCategory,
    Education,
    Employment,
    Health,
    Household,
    Housing,
    LabourCapacity,
    MaritalStatus,
    MemberFacts,
    Person,
    Relation,
)
from .policies import can_register_in
from .validation import MONEY_FIELDS, RowInvalid, parse_household_facts, parse_member

# ---------------------------------------------------------------------------------------------
# Search


class HouseholdSearchForm(forms.Form):
    """Registry search: a name prefix or a full ID number, a region, and flags that work now."""

    q = forms.CharField(label=_("Name or ID number"), required=False, max_length=40)
    town = forms.ChoiceField(label=_("Township"), required=False)
    village = forms.ChoiceField(label=_("Village"), required=False)
    disability = forms.BooleanField(label=_("Has a member with a disability"), required=False)
    elderly_alone = forms.BooleanField(label=_("Elderly living alone"), required=False)
    orphans = forms.BooleanField(label=_("Minors without parents in the household"), required=False)
    area = forms.ChoiceField(
        label=_("Urban or rural"), required=False,
        choices=[("", _("all")), ("urban", _("urban")), ("rural", _("rural"))],
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        prefix = actor.jurisdiction_prefix or ""
        self.show_towns = len(prefix) < 9
        towns = (list(region_list(actor=actor, level=Region.Level.TOWNSHIP).values_list("code", "name"))
                 if self.show_towns else [])
        self.fields["town"].choices = [("", _("all"))] + towns
        town = self.data.get("town") if self.is_bound else ""
        if not self.show_towns:
            town = actor.region_id
        self.show_villages = bool(town) and len(prefix) < 12
        villages = (
            list(region_list(actor=actor, level=Region.Level.VILLAGE, within=town[:9]).values_list("code", "name"))
            if self.show_villages else []
        )
        self.fields["village"].choices = [("", _("all"))] + villages
        if not self.show_towns:
            del self.fields["town"]
        if not self.show_villages:
            del self.fields["village"]

    def region_prefix(self) -> str:
        data = self.cleaned_data
        if data.get("village"):
            return data["village"]
        if data.get("town"):
            return data["town"][:9]
        return ""

    def filter_queryset(self, qs: QuerySet[Household], *, on: dt.date | None = None) -> QuerySet[Household]:
        data = self.cleaned_data
        return filter_households(
            qs, on=on, disability=data.get("disability", False), elderly_alone=data.get("elderly_alone", False),
            orphans=data.get("orphans", False), area=data.get("area", ""),
        )


def years_before(on: dt.date, years: int) -> dt.date:
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February
        return on.replace(year=on.year - years, day=28)


def _alive(on: dt.date) -> Q:
    return Q(deceased_on__isnull=True) | Q(deceased_on__gt=on)


def _alive_members(on: dt.date) -> QuerySet[Person]:
    return Person.objects.filter(_alive(on), household=OuterRef("pk"))


# Who counts as a parent of a minor, by the minor's relation to the head.
PARENT_RELATIONS = {
    Relation.CHILD: (Relation.HEAD, Relation.SPOUSE),
    Relation.GRANDCHILD: (Relation.CHILD, Relation.CHILD_IN_LAW),
    Relation.HEAD: (Relation.PARENT,),
    Relation.SPOUSE: (Relation.PARENT,),
    Relation.SIBLING: (Relation.PARENT,),
}


def filter_households(qs: QuerySet[Household], *, on: dt.date | None = None, disability: bool = False,
                      elderly_alone: bool = False, orphans: bool = False, area: str = "") -> QuerySet[Household]:
    """The search flags, each one SQL ``EXISTS`` over the household's living members."""
    on = on or timezone.localdate()
    adult_birth = years_before(on, 18)
    if area == "urban":
        qs = qs.filter(is_urban=True)
    elif area == "rural":
        qs = qs.filter(is_urban=False)
    if disability:
        latest_category = Subquery(
            MemberFacts.objects.filter(person=OuterRef("pk"), as_of__lte=on).order_by("-as_of")
            .values("disability_category")[:1]
        )
        qs = qs.filter(Exists(_alive_members(on).annotate(category=latest_category).exclude(category="")
                              .exclude(category__isnull=True)))
    if elderly_alone:
        others = Person.objects.filter(_alive(on), household=OuterRef("household")).exclude(pk=OuterRef("pk"))
        elderly = _alive_members(on).filter(birth_date__lte=years_before(on, 60))
        qs = qs.filter(Exists(elderly.filter(~Exists(others))))
    if orphans:
        condition = Q()
        for relation, parents in PARENT_RELATIONS.items():
            minor = _alive_members(on).filter(relation=relation, birth_date__gt=adult_birth)
            parent = _alive_members(on).filter(relation__in=parents)
            condition |= Q(Exists(minor)) & ~Q(Exists(parent))
        qs = qs.filter(condition)
    return qs


# ---------------------------------------------------------------------------------------------
# Choices for the forms


def village_choices(actor, *, for_register: bool = True) -> list:
    """Villages the actor may register in, grouped by township (a township window: the whole county)."""
    prefix = actor.jurisdiction_prefix
    if prefix is None:
        return []
    if getattr(actor, "role", "") == "township_handler":
        prefix = actor.region_id[:6]
    regions = Region.objects.filter(code__startswith=prefix, level__in=(Region.Level.TOWNSHIP, Region.Level.VILLAGE))
    groups: dict[str, tuple[str, list]] = {}
    for code, name, level in regions.values_list("code", "name", "level").order_by("code"):
        if level == Region.Level.TOWNSHIP:
            groups[code[:9]] = (name, [])
        elif code[:9] in groups and (not for_register or can_register_in(actor, code)):
            groups[code[:9]][1].append((code, name))
    return [(name, villages) for name, villages in groups.values() if villages]


def _choices(enum, *, blank: bool = True) -> list:
    return ([("", "—")] if blank else []) + list(enum.choices)


def _date_field(label, *, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required,
                           widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))


class ValidatedForm(forms.Form):
    """A form whose values are parsed by ``registry.validation``; its problems become field errors."""

    def add_problems(self, problems: list[tuple[str, str]]) -> None:
        for field, reason in problems:
            self.add_error(field if field in self.fields else None, reason)


# ---------------------------------------------------------------------------------------------
# Members


MEMBER_STATUS_FIELDS = ("health", "illness", "disability_category", "disability_grade", "disability_certificate",
                        "adl_failed", "labour", "employment")


class MemberStatusMixin(forms.Form):
    health = forms.ChoiceField(label=_("health"), choices=Health.choices, initial=Health.HEALTHY)
    illness = forms.CharField(label=_("illness"), required=False, max_length=100)
    disability_category = forms.ChoiceField(label=_("disability category"), choices=_choices(DisabilityCategory),
                                            required=False)
    disability_grade = forms.ChoiceField(label=_("disability grade"), required=False,
                                         choices=[("", "—"), ("1", "1"), ("2", "2"), ("3", "3"), ("4", "4")])
    disability_certificate = forms.CharField(label=_("disability certificate"), required=False, max_length=40)
    adl_failed = forms.IntegerField(label=_("daily-living items not managed (of 6)"), min_value=0, max_value=6,
                                    initial=0, required=False)
    labour = forms.ChoiceField(label=_("labour capacity"), choices=LabourCapacity.choices,
                               initial=LabourCapacity.FULL)
    employment = forms.ChoiceField(label=_("employment"), choices=Employment.choices, initial=Employment.NOT_WORKING)


class MemberForm(MemberStatusMixin, ValidatedForm):
    """One member; ``clean`` runs ``registry.validation.parse_member``."""

    name = forms.CharField(label=pgettext_lazy("person", "name"), max_length=60)
    id_number = forms.CharField(label=_("ID number"), max_length=24)
    relation = forms.ChoiceField(label=_("relation to head"), choices=_choices(Relation))
    phone = forms.CharField(label=_("phone"), required=False, max_length=24)
    ethnicity = forms.CharField(label=_("ethnicity"), required=False, max_length=20, initial="汉族")
    marital_status = forms.ChoiceField(label=_("marital status"), choices=_choices(MaritalStatus), required=False)
    education = forms.ChoiceField(label=_("education"), choices=_choices(Education), required=False)
    hukou_region_code = forms.CharField(label=_("registration region"), required=False, max_length=12)

    field_order = ["name", "id_number", "relation", "phone", "ethnicity", "marital_status", "education",
                   "hukou_region_code", *MEMBER_STATUS_FIELDS]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.member = parse_member(data)
        except RowInvalid as exc:
            self.add_problems(exc.problems)
        return data


class BaseMemberFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        members = [form.member for form in self.forms if getattr(form, "member", None) and form.has_changed()]
        if not members:
            raise forms.ValidationError(_("a household needs at least one member"))
        heads = [m for m in members if m.relation == Relation.HEAD]
        if len(heads) != 1:
            raise forms.ValidationError(_("a household needs exactly one head, found %(n)d") % {"n": len(heads)})
        numbers = [m.id_number for m in members]
        if len(set(numbers)) != len(numbers):
            raise forms.ValidationError(_("the same ID number appears twice in the household"))
        self.members = members


MemberFormSet = forms.formset_factory(MemberForm, formset=BaseMemberFormSet, extra=0, min_num=1, max_num=20,
                                      validate_min=True, validate_max=True)


class MemberFactsForm(MemberStatusMixin, ValidatedForm):
    """A new dated observation of one member; the values are checked by ``parse_member``."""

    as_of = _date_field(_("as of"))

    field_order = ["as_of", *MEMBER_STATUS_FIELDS]

    def __init__(self, *args, person: Person, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        as_of = data.get("as_of")
        if as_of and as_of > timezone.localdate():
            self.add_error("as_of", _("facts cannot describe a future date"))
            return data
        # The person's own identity completes the row, so the status values are checked exactly
        # as a form, the API and the file import check them.
        raw = {"name": self.person.name, "id_number": self.person.id_number,
               "relation": self.person.relation or Relation.OTHER,
               **{field: data.get(field) for field in MEMBER_STATUS_FIELDS}}
        try:
            self.values = parse_member(raw).status_values()
        except RowInvalid as exc:
            self.add_problems(exc.problems)
        return data


# ---------------------------------------------------------------------------------------------
# Households


class HouseholdFactsForm(ValidatedForm):
    """Income (yuan per month), assets, rigid spending (yuan over 12 months) and housing."""

    as_of = _date_field(_("as of"))
    monthly_wages = forms.CharField(label=_("wages per month"), required=False)
    monthly_business_income = forms.CharField(label=_("net business income per month"), required=False)
    monthly_property_income = forms.CharField(label=_("net property income per month"), required=False)
    monthly_transfer_income = forms.CharField(label=_("net transfer income per month"), required=False)
    monthly_excluded_income = forms.CharField(label=_("excluded income per month"), required=False)
    deposits = forms.CharField(label=_("deposits"), required=False)
    securities = forms.CharField(label=_("securities"), required=False)
    commercial_insurance = forms.CharField(label=_("commercial insurance"), required=False)
    vehicles = forms.IntegerField(label=_("vehicles"), required=False, min_value=0, max_value=99, initial=0)
    vehicles_for_disability = forms.IntegerField(label=_("vehicles used for a disability"), required=False,
                                                 min_value=0, max_value=99, initial=0)
    extra_houses = forms.IntegerField(label=_("houses beyond the one lived in"), required=False, min_value=0,
                                      max_value=99, initial=0)
    annual_medical_expense = forms.CharField(label=_("self-paid medical costs, 12 months"), required=False)
    annual_education_expense = forms.CharField(label=_("education costs, 12 months"), required=False)
    annual_rehabilitation_expense = forms.CharField(label=_("disability rehabilitation costs, 12 months"),
                                                    required=False)
    annual_basic_living_expense = forms.CharField(label=_("other basic living costs, 12 months"), required=False)
    housing = forms.ChoiceField(label=_("housing condition"), choices=Housing.choices, initial=Housing.SAFE)
    safe_water = forms.BooleanField(label=_("safe drinking water"), required=False, initial=True)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        as_of = data.get("as_of")
        if as_of and as_of > timezone.localdate():
            self.add_error("as_of", _("facts cannot describe a future date"))
            return data
        raw = {name: data.get(name) for name in (*MONEY_FIELDS, "vehicles", "vehicles_for_disability",
                                                 "extra_houses", "housing")}
        raw["safe_water"] = bool(data.get("safe_water"))
        try:
            self.values = parse_household_facts(raw)
        except RowInvalid as exc:
            self.add_problems(exc.problems)
        return data


class HouseholdCreateForm(HouseholdFactsForm):
    """The household part of the registration form (the members are a formset)."""

    region_code = forms.ChoiceField(label=_("residence region"))
    hukou_region_code = forms.CharField(label=_("registration region"), required=False, max_length=12,
                                        help_text=_("12-digit division code; leave empty if the same"))
    address = forms.CharField(label=_("address"), required=False, max_length=200)

    field_order = ["region_code", "hukou_region_code", "address", "as_of"]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region_code"].choices = [("", "—")] + village_choices(actor)
        self.fields["as_of"].initial = timezone.localdate()


class HouseholdEditForm(forms.Form):
    region_code = forms.ChoiceField(label=_("residence region"))
    hukou_region_code = forms.CharField(label=_("registration region"), required=False, max_length=12)
    address = forms.CharField(label=_("address"), required=False, max_length=200)

    def __init__(self, *args, actor, household: Household, **kwargs):
        kwargs.setdefault("initial", {"region_code": household.region_code,
                                      "hukou_region_code": household.hukou_region_code,
                                      "address": household.address})
        super().__init__(*args, **kwargs)
        choices = village_choices(actor)
        known = {code for _name, villages in choices for code, _label in villages}
        if household.region_code not in known:
            choices = [(household.region_code, household.region_code)] + choices
        self.fields["region_code"].choices = choices

    def clean_hukou_region_code(self):
        from dajiuzhu.core.normalise import clean_code

        code = clean_code(self.cleaned_data.get("hukou_region_code"))
        if code and not Region.objects.filter(code=code).exists():
            raise forms.ValidationError(_("unknown division code %(value)s") % {"value": code})
        return code

    def clean_address(self):
        from dajiuzhu.core.normalise import clean_text, looks_like_formula

        address = clean_text(self.cleaned_data.get("address"))
        if looks_like_formula(address):
            raise forms.ValidationError(_("looks like a spreadsheet formula; enter plain text"))
        return address


class MemberAddForm(MemberForm):
    as_of = _date_field(_("joined on"))

    field_order = ["as_of", *MemberForm.field_order]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["relation"].choices = [c for c in _choices(Relation) if c[0] != Relation.HEAD]
        self.fields["as_of"].initial = timezone.localdate()


class MemberMoveForm(forms.Form):
    """Move a member of this household into another household, found by its number."""

    to_household = forms.CharField(label=_("household number to move to"), max_length=32)
    relation = forms.ChoiceField(label=_("relation to the new head"),
                                 choices=[c for c in _choices(Relation) if c[0] != Relation.HEAD])
    on = _date_field(_("moved on"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()


class DeathForm(forms.Form):
    on = _date_field(_("date of death"))

    def clean_on(self):
        on = self.cleaned_data["on"]
        if on > timezone.localdate():
            raise forms.ValidationError(_("a date of death cannot be in the future"))
        return on
