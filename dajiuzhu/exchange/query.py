"""The three query types of the standard (``idtype-value``, ``expression``, ``predicate``) over the
registry's people, inside the client's jurisdiction.

Attributes a query may use, and the field of the client's set each one needs (a client may not
filter on what it may not read):

=================  ========================  ==============================================
attribute          operators                 meaning
=================  ========================  ==============================================
region_code        eq, in                    lives in the region (a code prefix: 371424105)
sex                eq, in                    male / female (M / F)
birth_date         eq gt lt ge le            ISO date
YOB                eq gt lt ge le in         year of birth
roster_tier        eq, in                    household is in the tier now (dibao, tekun, …)
is_deceased        eq                        true / false
disability_grade   eq gt lt ge le in         latest certificate grade (1 most severe)
=================  ========================  ==============================================
"""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from dajiuzhu.core import crypto
from dajiuzhu.core.ids import InvalidIdNumber, normalise_id_number
from dajiuzhu.core.regioncodes import prefix_of
from dajiuzhu.core.scoping import scope
from dajiuzhu.indices.models import RosterEntry, Tier
from dajiuzhu.registry.models import Household, MemberFacts, Person

from . import errors
from .errors import ItemRejected
from .models import IdentifierType, PersonIdentifier

QUERY_TYPES = ("idtype-value", "expression", "predicate")
BUILTIN_ID_TYPES = {"UIN": "resident ID number (居民身份证号码)", "PERSON_ID": "the platform's person number",
                    "HOUSEHOLD_NO": "the platform's household number (members of the household)"}
ATTRIBUTES = {
    "region_code": ({"eq", "in"}, "address"),
    "sex": ({"eq", "in"}, "sex"),
    "birth_date": ({"eq", "gt", "lt", "ge", "le"}, "birth_date"),
    "YOB": ({"eq", "gt", "lt", "ge", "le", "in"}, "birth_date"),
    "roster_tier": ({"eq", "in"}, "roster"),
    "is_deceased": ({"eq"}, "death"),
    "disability_grade": ({"eq", "gt", "lt", "ge", "le", "in"}, "disability"),
}
LOOKUP = {"eq": "", "gt": "__gt", "lt": "__lt", "ge": "__gte", "le": "__lte", "in": "__in"}


def base_queryset(actor) -> QuerySet[Person]:
    return scope(Person.objects.select_related("household"), actor, perm="registry.view")


def _value_list(value, op: str) -> list:
    if op == "in":
        if not isinstance(value, list) or not value:
            raise ItemRejected(errors.SEARCH_CRITERIA, "the operator in takes a non-empty list")
        return value
    if isinstance(value, (list, dict)):
        raise ItemRejected(errors.SEARCH_CRITERIA, f"the operator {op} takes a single value")
    return [value]


def _condition(attribute: str, op: str, value, *, fields: set[str], jurisdiction: str) -> Q:
    if attribute not in ATTRIBUTES:
        raise ItemRejected(errors.SEARCH_CRITERIA, f"unknown attribute {attribute!r}; known: "
                           + ", ".join(ATTRIBUTES))
    ops, field = ATTRIBUTES[attribute]
    if op not in ops:
        raise ItemRejected(errors.SEARCH_CRITERIA, f"the attribute {attribute} takes the operators "
                           + ", ".join(sorted(ops)))
    if field not in fields and attribute != "region_code":
        raise ItemRejected(errors.SEARCH_CRITERIA, f"the attribute {attribute} needs the field {field!r}, "
                           "which is not in this client's field set")
    values = _value_list(value, op)
    try:
        if attribute == "region_code":
            q = Q(pk__in=[])
            for code in values:
                code = str(code).strip()
                prefix = prefix_of(code) if len(code) == 12 and code.isdigit() else code
                if not re.fullmatch(r"[0-9]{2,12}", prefix):
                    raise ItemRejected(errors.SEARCH_CRITERIA, f"region_code {code!r} is not a division code")
                if not (prefix.startswith(jurisdiction) or jurisdiction.startswith(prefix)):
                    raise ItemRejected(errors.SEARCH_CRITERIA,
                                       f"region {code} is outside this client's jurisdiction {jurisdiction}")
                q |= Q(region_code__startswith=prefix)
            return q
        if attribute == "sex":
            mapped = [{"male": "M", "female": "F", "m": "M", "f": "F"}.get(str(v).lower(), "") for v in values]
            if "" in mapped:
                raise ItemRejected(errors.SEARCH_CRITERIA, "sex is male or female")
            return Q(sex__in=mapped)
        if attribute == "birth_date":
            return Q(**{f"birth_date{LOOKUP[op]}": dt.date.fromisoformat(str(values[0]))})
        if attribute == "YOB":
            years = [int(v) for v in values]
            if op == "in":
                return Q(birth_date__year__in=years)
            return Q(**{f"birth_date__year{LOOKUP[op]}": years[0]})
        if attribute == "roster_tier":
            tiers = [str(v) for v in values]
            unknown = [t for t in tiers if t not in Tier.values]
            if unknown:
                raise ItemRejected(errors.SEARCH_CRITERIA, f"unknown tier {unknown[0]!r}; known: "
                                   + ", ".join(Tier.values))
            return Q(Exists(RosterEntry.objects.filter(household_id=OuterRef("household_id"), tier__in=tiers,
                                                       until__isnull=True)))
        if attribute == "is_deceased":
            flag = values[0]
            if isinstance(flag, str):
                flag = {"true": True, "false": False}.get(flag.lower(), flag)
            if not isinstance(flag, bool):
                raise ItemRejected(errors.SEARCH_CRITERIA, "is_deceased is true or false")
            return Q(deceased_on__isnull=not flag)
        if attribute == "disability_grade":
            grades = [int(v) for v in values]
            lookup = {f"disability_grade{LOOKUP[op]}": grades if op == "in" else grades[0]}
            latest = MemberFacts.objects.filter(person_id=OuterRef("person_id")).order_by("-as_of").values("as_of")[:1]
            return Q(Exists(MemberFacts.objects.filter(person_id=OuterRef("pk"), as_of=Subquery(latest), **lookup)))
    except (ValueError, TypeError):
        raise ItemRejected(errors.SEARCH_CRITERIA, f"the value of {attribute} is not valid") from None
    raise ItemRejected(errors.SEARCH_CRITERIA, f"unknown attribute {attribute!r}")  # pragma: no cover


def _combine(left: Q, condition: str | None, right: Q | None) -> Q:
    if right is None:
        if condition == "not":
            return ~left
        return left
    if condition == "and":
        return left & right
    if condition == "or":
        return left | right
    if condition == "not":
        return left & ~right
    raise ItemRejected(errors.SEARCH_CRITERIA, "condition is and, or or not")


def _expression_object(expr, **kw) -> Q:
    if not isinstance(expr, dict) or not {"attribute_name", "operator", "attribute_value"} <= set(expr):
        raise ItemRejected(errors.SEARCH_CRITERIA, "an expression has attribute_name, operator and attribute_value")
    return _condition(str(expr["attribute_name"]), str(expr["operator"]), expr["attribute_value"], **kw)


def predicate_q(query, **kw) -> Q:
    """``[{seq_num, expression1, condition, expression2}]``: evaluated in seq_num order, each joined to
    the result so far with ``and``."""
    if not isinstance(query, list) or not query:
        raise ItemRejected(errors.SEARCH_CRITERIA, "a predicate query is a non-empty list of expressions")
    result = Q()
    for item in sorted(query, key=lambda i: (i.get("seq_num", 0) if isinstance(i, dict) else 0)):
        if not isinstance(item, dict) or "expression1" not in item:
            raise ItemRejected(errors.SEARCH_CRITERIA, "every predicate has expression1")
        left = _expression_object(item["expression1"], **kw)
        right = _expression_object(item["expression2"], **kw) if item.get("expression2") else None
        result &= _combine(left, item.get("condition"), right)
    return result


TOKEN = re.compile(r'\s*(?:"([^"]*)"|\[([^\]]*)\]|(\S+))')


def expression_q(query, **kw) -> Q:
    """``{"type": "ns:dajiuzhu:QueryType:simple", "value": {"expression": "roster_tier eq dibao and YOB le 1960"}}``:
    conditions ``attribute operator value`` joined left to right by ``and`` / ``or``; a value with
    spaces in double quotes, a list in brackets (``YOB in [1950,1951]``)."""
    value = query.get("value") if isinstance(query, dict) else None
    text = value.get("expression") if isinstance(value, dict) else value
    if not isinstance(text, str) or not text.strip():
        raise ItemRejected(errors.SEARCH_CRITERIA, "an expression query has value.expression, a text")
    tokens = []
    for quoted, listed, bare in TOKEN.findall(text):
        if listed:
            tokens.append([part.strip().strip('"') for part in listed.split(",") if part.strip()])
        elif quoted:
            tokens.append(quoted)
        elif bare:
            tokens.append(bare)
    if len(tokens) < 3 or (len(tokens) - 3) % 4:
        raise ItemRejected(errors.SEARCH_CRITERIA, "an expression is `attribute operator value` joined by and / or")
    result = _condition(str(tokens[0]), str(tokens[1]), tokens[2], **kw)
    for i in range(3, len(tokens), 4):
        joiner = tokens[i]
        right = _condition(str(tokens[i + 1]), str(tokens[i + 2]), tokens[i + 3], **kw)
        if joiner == "and":
            result &= right
        elif joiner == "or":
            result |= right
        else:
            raise ItemRejected(errors.SEARCH_CRITERIA, f"conditions are joined by and / or, not {joiner!r}")
    return result


def idtype_people(query, qs: QuerySet[Person]) -> QuerySet[Person]:
    if not isinstance(query, dict) or "type" not in query or "value" not in query:
        raise ItemRejected(errors.SEARCH_CRITERIA, "an idtype-value query has type and value")
    id_type, value = str(query["type"]).strip(), query["value"]
    if isinstance(value, (dict, list)) or value is None or str(value).strip() == "":
        raise ItemRejected(errors.SEARCH_CRITERIA, "the identifier value is a single value")
    value = str(value).strip()
    if id_type == "UIN":
        try:
            number = normalise_id_number(value)
        except InvalidIdNumber:
            raise ItemRejected(errors.SEARCH_CRITERIA, "the UIN is not a valid resident ID number") from None
        return qs.filter(id_hash=crypto.blind_index(number))
    if id_type == "PERSON_ID":
        if not value.isdigit():
            raise ItemRejected(errors.SEARCH_CRITERIA, "PERSON_ID is a number")
        return qs.filter(pk=int(value))
    if id_type == "HOUSEHOLD_NO":
        household = Household.objects.filter(number=value).values_list("pk", flat=True)
        return qs.filter(household_id__in=household)
    registered = IdentifierType.objects.filter(code=id_type).first()
    if registered is None:
        raise ItemRejected(errors.SEARCH_CRITERIA, f"unknown identifier type {id_type!r}")
    return qs.filter(pk__in=PersonIdentifier.objects.filter(type=registered, value=value).values("person_id"))


def run_query(query_type, query, *, actor, fields: set[str], jurisdiction: str) -> QuerySet[Person]:
    qs = base_queryset(actor)
    if query_type == "idtype-value":
        return idtype_people(query, qs)
    kw = {"fields": fields, "jurisdiction": jurisdiction}
    if query_type == "predicate":
        return qs.filter(predicate_q(query, **kw))
    if query_type == "expression":
        return qs.filter(expression_q(query, **kw))
    raise ItemRejected(errors.SEARCH_CRITERIA, f"unknown query_type {query_type!r}; known: " + ", ".join(QUERY_TYPES))
