"""The rule language: a small, safe, typed subset of Python expressions.

An expression is parsed with :mod:`ast` (``mode="eval"``) and every node is checked against a
whitelist, then compiled into a tree of the small node classes below. Nothing is ever
``eval``-ed. Names are the household facts of ``registry.facts.FACTS``, the applicant facts of
``APPLICANT_FACTS``, ``std.<name>`` (a standard of the year and place) and ``item.<name>`` (a
parameter of the item). See docs/rules.md.

Types: every value is a number or a boolean. Numbers are fixed-point decimals with
``SCALE_PLACES`` (4) places; ``*`` and ``/`` round their result half up (away from zero) to
4 places, so the scalar evaluator (Decimal) and the vectorised one (numpy int64 in units of
0.0001) compute the very same value.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dajiuzhu.registry.facts import FACTS

SCALE_PLACES = 4
SCALE = 10**SCALE_PLACES
# Largest magnitude of any value (in yuan or plain units): 10^10. Beyond it evaluation fails.
LIMIT = 10**10
MAX_LENGTH = 2000
MAX_NODES = 400

NUM, BOOL = "number", "boolean"
TYPE_NAMES = {NUM: gettext_lazy("number"), BOOL: gettext_lazy("boolean")}

# Facts about the applicant (the member who applies), computed by ``programs.facts``.
APPLICANT_FACTS: dict[str, tuple[str, str]] = {
    "applicant_age": ("int", "age of the applicant"),
    "applicant_disability_grade": ("int", "disability grade of the applicant (0 none, 1–4)"),
    "applicant_adl_failed": ("int", "daily-living items the applicant cannot manage (0–6)"),
    "applicant_labour": ("int", "labour capacity of the applicant: 0 full, 1 partial, 2 none"),
    "applicant_seriously_ill": ("bool", "the applicant has a serious illness"),
    "applicant_student": ("bool", "the applicant is in school"),
    "applicant_able_supporters": ("int", "legal supporters of the applicant able to support them"),
}

# The household's latest emergency event (急难, ``registry.HouseholdEvent``) on the evaluation date.
EVENT_FACTS: dict[str, tuple[str, str]] = {
    "has_event": ("bool", "an emergency struck the household (fire, accident, sudden illness, disaster)"),
    "event_days": ("int", "days since the emergency"),
    "event_loss": ("money", "loss of the emergency in yuan"),
    "event_house": ("int", "the house after the emergency: 0 not affected, 1 damaged, 2 lost or uninhabitable"),
    "event_injured": ("int", "people injured and hospitalised in the emergency"),
    "event_deaths": ("int", "people who died in the emergency"),
}

# Tiers the household holds (or, when the caller does not say, would be given by the catalogue's
# tier items): booleans, so that e.g. medical assistance can say "tier_dibao or tier_tekun".
TIER_FACTS: dict[str, tuple[str, str]] = {
    "tier_dibao": ("bool", "the household receives (or qualifies for) 低保"),
    "tier_tekun": ("bool", "a member is supported as 特困 (or qualifies)"),
    "tier_near_poor": ("bool", "the household is 低保边缘 (or qualifies)"),
    "tier_rigid": ("bool", "the household is a 刚性支出困难 household (or qualifies)"),
}


def fact_kinds() -> dict[str, str]:
    """name -> "money" | "int" | "bool" for every fact a rule may name."""
    kinds = {name: kind for name, (kind, _d) in FACTS.items()}
    kinds.update({name: kind for name, (kind, _d) in APPLICANT_FACTS.items()})
    kinds.update({name: kind for name, (kind, _d) in EVENT_FACTS.items()})
    kinds.update({name: kind for name, (kind, _d) in TIER_FACTS.items()})
    return kinds


FUNCTIONS = {"min": (2, None), "max": (2, None), "round": (1, 2), "clamp": (3, 3), "abs": (1, 1)}
ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
COMPARE = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


class RuleError(ValueError):
    """An expression that cannot be saved: the message says what and where."""

    def __init__(self, message: str, *, position: tuple[int, int] | None = None, kind: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.position = position  # (line, column), 1-based
        self.kind = kind  # syntax | unknown_name | type | invalid


# ---------------------------------------------------------------- compiled nodes


@dataclasses.dataclass(frozen=True)
class Node:
    type: str
    money: bool  # a money amount (for the words "元" in reasons)


@dataclasses.dataclass(frozen=True)
class Const(Node):
    value: object  # Decimal or bool
    text: str


@dataclasses.dataclass(frozen=True)
class Fact(Node):
    name: str


@dataclasses.dataclass(frozen=True)
class Std(Node):
    name: str


@dataclasses.dataclass(frozen=True)
class Param(Node):
    name: str


@dataclasses.dataclass(frozen=True)
class BinOp(Node):
    op: str
    left: Node
    right: Node


@dataclasses.dataclass(frozen=True)
class Neg(Node):
    operand: Node


@dataclasses.dataclass(frozen=True)
class Compare(Node):
    ops: tuple[str, ...]
    operands: tuple[Node, ...]


@dataclasses.dataclass(frozen=True)
class BoolOp(Node):
    op: str  # and | or
    values: tuple[Node, ...]


@dataclasses.dataclass(frozen=True)
class Not(Node):
    operand: Node


@dataclasses.dataclass(frozen=True)
class IfElse(Node):
    test: Node
    body: Node
    orelse: Node


@dataclasses.dataclass(frozen=True)
class Call(Node):
    fn: str
    args: tuple[Node, ...]


@dataclasses.dataclass(frozen=True)
class In(Node):
    operand: Node
    options: tuple[Decimal, ...]
    negated: bool


@dataclasses.dataclass(frozen=True)
class Rule:
    """A checked expression: its source, its tree and the names it uses."""

    source: str
    root: Node
    facts: frozenset[str]
    standards: frozenset[str]
    params: frozenset[str]

    @property
    def type(self) -> str:
        return self.root.type


# ---------------------------------------------------------------- compiler


def _suggest(name: str, known) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return _("; did you mean “%(name)s”?") % {"name": close[0]} if close else ""


def parse_decimal_literal(text: str) -> Decimal:
    try:
        value = Decimal(text.replace("_", ""))
    except InvalidOperation:
        raise RuleError(_("“%(text)s” is not a number") % {"text": text}) from None
    if not value.is_finite():
        raise RuleError(_("“%(text)s” is not a number") % {"text": text})
    if value.as_tuple().exponent < -SCALE_PLACES and value != value.quantize(Decimal(1).scaleb(-SCALE_PLACES)):
        raise RuleError(_("the number %(text)s has more than %(places)d decimal places")
                        % {"text": text, "places": SCALE_PLACES})
    if abs(value) > LIMIT:
        raise RuleError(_("the number %(text)s is too large") % {"text": text})
    return value.quantize(Decimal(1).scaleb(-SCALE_PLACES))


class _Compiler:
    def __init__(self, source: str, *, standards, params, expect: str | None):
        self.source = source
        self.standards = set(standards) if standards is not None else None
        self.params = dict(params or {})
        self.expect = expect
        self.kinds = fact_kinds()
        self.used_facts: set[str] = set()
        self.used_std: set[str] = set()
        self.used_params: set[str] = set()

    def fail(self, message: str, node: ast.AST | None, kind: str = "invalid"):
        position = (node.lineno, node.col_offset + 1) if node is not None and hasattr(node, "lineno") else None
        if position:
            message = _("%(message)s (line %(line)d, column %(column)d)") % {
                "message": message, "line": position[0], "column": position[1]}
        raise RuleError(message, position=position, kind=kind)

    def segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or ""

    def need(self, node: Node, want: str, where: ast.AST, what: str) -> Node:
        if node.type != want:
            self.fail(_("type error: %(what)s must be a %(want)s, but “%(text)s” is a %(got)s") % {
                "what": what, "want": TYPE_NAMES[want], "text": self.segment(where), "got": TYPE_NAMES[node.type]}, where, "type")
        return node

    def compile(self, node: ast.AST) -> Node:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:
            self.fail(_("“%(text)s” is not allowed in a rule") % {"text": self.segment(node) or type(node).__name__},
                      node, "syntax")
        return method(node)

    # literals and names
    def visit_Constant(self, node: ast.Constant) -> Node:
        if isinstance(node.value, bool):
            return Const(BOOL, False, node.value, "True" if node.value else "False")
        if isinstance(node.value, (int, float)) and not isinstance(node.value, complex):
            text = self.segment(node)
            try:
                value = parse_decimal_literal(text)
            except RuleError as exc:
                self.fail(exc.message, node)
            return Const(NUM, False, value, text)
        self.fail(_("only numbers, True and False may be written as values, not “%(text)s”")
                  % {"text": self.segment(node)}, node)

    def visit_Name(self, node: ast.Name) -> Node:
        name = node.id
        if name in {"True", "False"}:
            return Const(BOOL, False, name == "True", name)
        kind = self.kinds.get(name)
        if kind is None:
            hint = ""
            if name in {"std", "item"}:
                hint = _("; write %(name)s.<name>") % {"name": name}
            self.fail(_("unknown fact “%(name)s”") % {"name": name} + (hint or _suggest(name, self.kinds)), node,
                      "unknown_name")
        self.used_facts.add(name)
        return Fact(BOOL if kind == "bool" else NUM, kind == "money", name)

    def visit_Attribute(self, node: ast.Attribute) -> Node:
        if not isinstance(node.value, ast.Name) or node.value.id not in {"std", "item"}:
            self.fail(_("only std.<name> and item.<name> may use a dot, not “%(text)s”")
                      % {"text": self.segment(node)}, node, "syntax")
        name = node.attr
        if node.value.id == "std":
            if self.standards is not None and name not in self.standards:
                self.fail(_("unknown standard “std.%(name)s”") % {"name": name}
                          + _suggest(name, self.standards), node, "unknown_name")
            self.used_std.add(name)
            return Std(NUM, True, name)
        if name not in self.params:
            self.fail(_("unknown item parameter “item.%(name)s”") % {"name": name}
                      + _suggest(name, self.params), node, "unknown_name")
        value = self.params[name]
        self.used_params.add(name)
        if isinstance(value, bool):
            return Param(BOOL, False, name)
        return Param(NUM, False, name)

    # operators
    def visit_BinOp(self, node: ast.BinOp) -> Node:
        op = ARITH.get(type(node.op))
        if op is None:
            self.fail(_("the operator in “%(text)s” is not allowed (use + - * /)") % {"text": self.segment(node)},
                      node, "syntax")
        left = self.need(self.compile(node.left), NUM, node.left, _("each side of %(op)s") % {"op": op})
        right = self.need(self.compile(node.right), NUM, node.right, _("each side of %(op)s") % {"op": op})
        if op in "+-":
            money = left.money or right.money
        elif op == "*":
            money = left.money or right.money
        else:
            money = left.money and not right.money
        return BinOp(NUM, money, op, left, right)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Node:
        operand = self.compile(node.operand)
        if isinstance(node.op, ast.Not):
            return Not(BOOL, False, self.need(operand, BOOL, node.operand, _("the operand of not")))
        if isinstance(node.op, ast.USub):
            operand = self.need(operand, NUM, node.operand, _("the operand of -"))
            if isinstance(operand, Const):
                return Const(NUM, False, -operand.value, "-" + operand.text)
            return Neg(NUM, operand.money, operand)
        if isinstance(node.op, ast.UAdd):
            return self.need(operand, NUM, node.operand, _("the operand of +"))
        self.fail(_("the operator in “%(text)s” is not allowed") % {"text": self.segment(node)}, node, "syntax")

    def visit_BoolOp(self, node: ast.BoolOp) -> Node:
        op = "and" if isinstance(node.op, ast.And) else "or"
        values = tuple(self.need(self.compile(v), BOOL, v, _("each side of %(op)s") % {"op": op}) for v in node.values)
        return BoolOp(BOOL, False, op, values)

    def visit_Compare(self, node: ast.Compare) -> Node:
        if len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)):
            operand = self.need(self.compile(node.left), NUM, node.left, _("the value before in"))
            options_node = node.comparators[0]
            if not isinstance(options_node, (ast.List, ast.Tuple)) or not options_node.elts:
                self.fail(_("in needs a written list of numbers, e.g. housing_code in [1, 2]"), options_node, "syntax")
            options = []
            for elt in options_node.elts:
                value = self.compile(elt)
                if not isinstance(value, Const) or value.type != NUM:
                    self.fail(_("a list after in may hold only written numbers"), elt, "syntax")
                options.append(value.value)
            return In(BOOL, False, operand, tuple(options), isinstance(node.ops[0], ast.NotIn))
        ops = []
        for op in node.ops:
            symbol = COMPARE.get(type(op))
            if symbol is None:
                self.fail(_("the comparison in “%(text)s” is not allowed") % {"text": self.segment(node)}, node,
                          "syntax")
            ops.append(symbol)
        operands = [self.compile(node.left), *(self.compile(c) for c in node.comparators)]
        sources = [node.left, *node.comparators]
        for symbol, (a, b), (sa, sb) in zip(ops, zip(operands, operands[1:]), zip(sources, sources[1:])):
            if symbol in {"==", "!="}:
                if a.type != b.type:
                    self.fail(_("type error: “%(a)s” is a %(ta)s and “%(b)s” is a %(tb)s; they cannot be compared")
                              % {"a": self.segment(sa), "ta": TYPE_NAMES[a.type], "b": self.segment(sb), "tb": TYPE_NAMES[b.type]},
                              node, "type")
            else:
                self.need(a, NUM, sa, _("each side of %(op)s") % {"op": symbol})
                self.need(b, NUM, sb, _("each side of %(op)s") % {"op": symbol})
        return Compare(BOOL, False, tuple(ops), tuple(operands))

    def visit_IfExp(self, node: ast.IfExp) -> Node:
        test = self.need(self.compile(node.test), BOOL, node.test, _("the condition after if"))
        body, orelse = self.compile(node.body), self.compile(node.orelse)
        if body.type != orelse.type:
            self.fail(_("type error: both branches of “… if … else …” must have the same type "
                        "(“%(a)s” is a %(ta)s, “%(b)s” is a %(tb)s)")
                      % {"a": self.segment(node.body), "ta": TYPE_NAMES[body.type], "b": self.segment(node.orelse),
                         "tb": TYPE_NAMES[orelse.type]}, node, "type")
        return IfElse(body.type, body.money or orelse.money, test, body, orelse)

    def visit_Call(self, node: ast.Call) -> Node:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = self.segment(node.func)
            self.fail(_("unknown function “%(name)s” (allowed: %(allowed)s)")
                      % {"name": name, "allowed": ", ".join(sorted(FUNCTIONS))} + _suggest(name, FUNCTIONS), node,
                      "unknown_name")
        if node.keywords:
            self.fail(_("functions take no named arguments"), node, "syntax")
        fn = node.func.id
        low, high = FUNCTIONS[fn]
        if len(node.args) < low or (high is not None and len(node.args) > high):
            self.fail(_("%(fn)s takes %(count)s arguments") % {
                "fn": fn, "count": (f"{low}–{high}" if high and high != low else (str(low) if high else f"≥{low}"))},
                node, "syntax")
        if fn == "round":
            value = self.need(self.compile(node.args[0]), NUM, node.args[0], _("the value to round"))
            places = 0
            if len(node.args) == 2:
                arg = node.args[1]
                if not (isinstance(arg, ast.Constant) and type(arg.value) is int and 0 <= arg.value <= SCALE_PLACES):
                    self.fail(_("round's second argument must be a whole number 0–%(max)d")
                              % {"max": SCALE_PLACES}, arg, "syntax")
                places = arg.value
            return Call(NUM, value.money, "round", (value, Const(NUM, False, Decimal(places), str(places))))
        args = tuple(self.need(self.compile(a), NUM, a, _("each argument of %(fn)s") % {"fn": fn}) for a in node.args)
        return Call(NUM, any(a.money for a in args), fn, args)


def compile_rule(source: str, *, expect: str | None = None, standards=None, params=None) -> Rule:
    """Parse and check ``source``; raise ``RuleError`` with a clear message.

    ``expect`` is ``"boolean"`` for an eligibility rule and ``"number"`` for a benefit formula;
    ``standards`` (names) and ``params`` (item parameters) are what the rule may name (``None``
    for ``standards`` accepts any standard name).
    """
    source = (source or "").strip()
    if not source:
        raise RuleError(_("the rule is empty"), kind="syntax")
    if len(source) > MAX_LENGTH:
        raise RuleError(_("the rule is longer than %(max)d characters") % {"max": MAX_LENGTH}, kind="syntax")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        line = exc.lineno or 1
        offset = exc.offset
        if not offset:  # the rule ended too early: point after its last character
            lines = source.splitlines() or [""]
            offset = len(lines[min(line, len(lines)) - 1]) + 1
        position = (line, offset)
        raise RuleError(_("syntax error at line %(line)d, column %(column)d: %(msg)s")
                        % {"line": position[0], "column": position[1], "msg": exc.msg},
                        position=position, kind="syntax") from None
    if sum(1 for _n in ast.walk(tree)) > MAX_NODES:
        raise RuleError(_("the rule is too long (more than %(max)d parts)") % {"max": MAX_NODES}, kind="syntax")
    compiler = _Compiler(source, standards=standards, params=params, expect=expect)
    try:
        root = compiler.compile(tree.body)
    except RecursionError:
        raise RuleError(_("the rule is nested too deeply"), kind="syntax") from None
    if expect and root.type != expect:
        raise RuleError(_("type error: this rule must give a %(want)s, but it gives a %(got)s")
                        % {"want": TYPE_NAMES[expect], "got": TYPE_NAMES[root.type]}, kind="type")
    return Rule(source=source, root=root, facts=frozenset(compiler.used_facts),
                standards=frozenset(compiler.used_std), params=frozenset(compiler.used_params))
