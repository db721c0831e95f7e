"""The scalar evaluator: one household, Decimal arithmetic.

Numbers are Decimals with 4 places; ``*`` and ``/`` round half up (away from zero) to 4
places. A division by zero, a missing fact or a number beyond ``LIMIT`` raises
``EvaluationError``. ``and``, ``or``, ``… if … else …`` and chained comparisons evaluate
lazily, like Python — the vectorised evaluator reproduces exactly that.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Context, Decimal

from django.utils.translation import gettext as _

from . import language as L

Q = Decimal(1).scaleb(-L.SCALE_PLACES)
_CTX = Context(prec=60, rounding=ROUND_HALF_UP)
_LIMIT = Decimal(L.LIMIT)


class EvaluationError(ValueError):
    """A rule that could not be evaluated for these facts (division by zero, missing fact, …)."""

    def __init__(self, message: str, *, kind: str = "error"):
        super().__init__(message)
        self.message = message
        self.kind = kind


def to_number(value) -> Decimal:
    """A fact, standard or parameter as a rule number (4 places)."""
    if isinstance(value, bool):
        return Decimal(int(value))
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return number.quantize(Q, rounding=ROUND_HALF_UP, context=_CTX)


def _checked(value: Decimal) -> Decimal:
    if abs(value) > _LIMIT:
        raise EvaluationError(_("a number in the rule is out of range"), kind="range")
    return value


def _compare(op: str, a, b) -> bool:
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    if op == "==":
        return a == b
    return a != b


class ScalarEvaluator:
    def __init__(self, *, facts: Mapping, standards: Mapping, params: Mapping | None = None):
        self.facts = facts
        self.standards = standards
        self.params = params or {}
        self.used: dict[str, object] = {}

    def run(self, rule: L.Rule):
        return self.eval(rule.root)

    def eval(self, node: L.Node):  # noqa: C901 - one branch per node class
        if isinstance(node, L.Const):
            return node.value
        if isinstance(node, L.Fact):
            if node.name not in self.facts or self.facts[node.name] is None:
                raise EvaluationError(_("the fact “%(name)s” is not known for this household") % {"name": node.name},
                                      kind="missing")
            raw = self.facts[node.name]
            self.used[node.name] = raw
            if node.type == L.BOOL:
                return bool(raw)
            return _checked(to_number(raw))
        if isinstance(node, L.Std):
            if node.name not in self.standards:
                raise EvaluationError(_("the standard “%(name)s” is not set for this year and place") % {"name": node.name},
                                      kind="missing")
            value = to_number(self.standards[node.name])
            self.used[f"std.{node.name}"] = value
            return _checked(value)
        if isinstance(node, L.Param):
            if node.name not in self.params:
                raise EvaluationError(_("the item parameter “%(name)s” is not set") % {"name": node.name}, kind="missing")
            raw = self.params[node.name]
            return bool(raw) if node.type == L.BOOL else _checked(to_number(raw))
        if isinstance(node, L.BinOp):
            a, b = self.eval(node.left), self.eval(node.right)
            if node.op == "+":
                return _checked(a + b)
            if node.op == "-":
                return _checked(a - b)
            if node.op == "*":
                return _checked(_CTX.multiply(a, b).quantize(Q, rounding=ROUND_HALF_UP, context=_CTX))
            if b == 0:
                raise EvaluationError(_("division by zero"), kind="division")
            return _checked(_CTX.divide(a, b).quantize(Q, rounding=ROUND_HALF_UP, context=_CTX))
        if isinstance(node, L.Neg):
            return -self.eval(node.operand)
        if isinstance(node, L.Not):
            return not self.eval(node.operand)
        if isinstance(node, L.BoolOp):
            if node.op == "and":
                for value in node.values:
                    if not self.eval(value):
                        return False
                return True
            for value in node.values:
                if self.eval(value):
                    return True
            return False
        if isinstance(node, L.Compare):
            left = self.eval(node.operands[0])
            for op, operand in zip(node.ops, node.operands[1:]):
                right = self.eval(operand)
                if not _compare(op, left, right):
                    return False
                left = right
            return True
        if isinstance(node, L.In):
            found = self.eval(node.operand) in node.options
            return not found if node.negated else found
        if isinstance(node, L.IfElse):
            return self.eval(node.body) if self.eval(node.test) else self.eval(node.orelse)
        if isinstance(node, L.Call):
            args = [self.eval(a) for a in node.args]
            if node.fn == "min":
                return min(args)
            if node.fn == "max":
                return max(args)
            if node.fn == "abs":
                return abs(args[0])
            if node.fn == "clamp":
                return min(max(args[0], args[1]), args[2])
            if node.fn == "round":
                places = int(args[1])
                return args[0].quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP,
                                        context=_CTX).quantize(Q, context=_CTX)
        raise TypeError(f"unknown node {node!r}")


def evaluate(rule: L.Rule, *, facts: Mapping, standards: Mapping, params: Mapping | None = None):
    """The value of ``rule`` for one household (Decimal or bool); raises ``EvaluationError``."""
    return ScalarEvaluator(facts=facts, standards=standards, params=params).run(rule)
