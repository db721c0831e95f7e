"""Reasons in words: what a rule compared, with the family's own figures."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.utils.translation import gettext as _

from . import language as L
from .scalar import EvaluationError, ScalarEvaluator

_OPS = {"+": "+", "-": "−", "*": "×", "/": "÷"}
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


def format_number(value, *, money: bool) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if money:
        return _("%(amount)s yuan") % {"amount": f"{Decimal(value).quantize(Decimal('0.01')):,}".replace(",", "")}
    number = Decimal(value).normalize()
    return f"{number:f}"


class Explainer:
    def __init__(self, *, facts: Mapping, standards: Mapping, params: Mapping | None, fact_label, standard_label):
        self.evaluator = ScalarEvaluator(facts=facts, standards=standards, params=params)
        self.fact_label = fact_label
        self.standard_label = standard_label

    def value(self, node: L.Node):
        try:
            return self.evaluator.eval(node)
        except EvaluationError:
            return None

    def label(self, node: L.Node, *, with_values: bool = False, parent: int = 0) -> str:  # noqa: C901
        if isinstance(node, L.Const):
            return format_number(node.value, money=False) if node.type == L.NUM else node.text
        if isinstance(node, (L.Fact, L.Std, L.Param)):
            if isinstance(node, L.Fact):
                text = self.fact_label(node.name)
            elif isinstance(node, L.Std):
                text = self.standard_label(node.name)
            else:
                text = node.name
            if with_values:
                value = self.value(node)
                if value is not None:
                    shown = (format_number(value, money=False) if node.type == L.NUM else format_number(value, money=False))
                    text = f"{text} {shown}"
            return text
        if isinstance(node, L.BinOp):
            own = _PRECEDENCE[node.op]
            text = (f"{self.label(node.left, with_values=with_values, parent=own)} {_OPS[node.op]} "
                    f"{self.label(node.right, with_values=with_values, parent=own + 1)}")
            return f"({text})" if own < parent else text
        if isinstance(node, L.Neg):
            return "−" + self.label(node.operand, with_values=with_values, parent=3)
        if isinstance(node, L.Call):
            args = ", ".join(self.label(a, with_values=with_values) for a in node.args)
            return f"{node.fn}({args})"
        if isinstance(node, L.IfElse):
            value = self.value(node.test)
            if value is None:
                return "…"
            return self.label(node.body if value else node.orelse, with_values=with_values, parent=parent)
        if isinstance(node, L.Not):
            return _("not %(condition)s") % {"condition": self.label(node.operand)}
        if isinstance(node, L.In):
            options = ", ".join(format_number(o, money=False) for o in node.options)
            return f"{self.label(node.operand)} ∈ [{options}]"
        if isinstance(node, L.Compare):
            parts = [self.label(node.operands[0])]
            for op, operand in zip(node.ops, node.operands[1:]):
                parts.extend([op.replace("<=", "≤").replace(">=", "≥").replace("!=", "≠").replace("==", "="),
                              self.label(operand)])
            return " ".join(parts)
        if isinstance(node, L.BoolOp):
            joiner = _(" and ") if node.op == "and" else _(" or ")
            return "(" + joiner.join(self.label(v) for v in node.values) + ")"
        return "…"

    def comparison_sentence(self, left: L.Node, right: L.Node) -> str | None:
        lv, rv = self.value(left), self.value(right)
        if lv is None or rv is None or isinstance(lv, bool) or isinstance(rv, bool):
            return None
        money = left.money or right.money
        if lv > rv:
            relation = _("higher than")
        elif lv < rv:
            relation = _("lower than")
        else:
            relation = _("equal to")
        if isinstance(right, L.Const):
            return _("%(left)s %(lvalue)s, %(relation)s %(rvalue)s") % {
                "left": self.label(left), "lvalue": format_number(lv, money=money), "relation": relation,
                "rvalue": format_number(rv, money=money)}
        return _("%(left)s %(lvalue)s, %(relation)s %(right)s %(rvalue)s") % {
            "left": self.label(left), "lvalue": format_number(lv, money=money), "relation": relation,
            "right": self.label(right), "rvalue": format_number(rv, money=money)}

    def condition_sentences(self, node: L.Node, *, want: bool) -> list[str]:
        """Sentences for the conjuncts of ``node`` whose value is ``want`` (the failing ones for a refusal)."""
        conjuncts = list(node.values) if isinstance(node, L.BoolOp) and node.op == "and" else [node]
        out = []
        for conjunct in conjuncts:
            value = self.value(conjunct)
            if value is None or bool(value) != want:
                continue
            if isinstance(conjunct, L.Compare) and len(conjunct.ops) == 1 and conjunct.operands[0].type == L.NUM:
                sentence = self.comparison_sentence(*conjunct.operands)
                if sentence:
                    out.append(sentence)
                    continue
            if isinstance(conjunct, L.Fact) and conjunct.type == L.BOOL:
                label = self.fact_label(conjunct.name)
                out.append(_("%(condition)s: yes") % {"condition": label} if value
                           else _("%(condition)s: no") % {"condition": label})
                continue
            text = self.label(conjunct)
            out.append(_("condition met: %(condition)s") % {"condition": text} if value
                       else _("condition not met: %(condition)s") % {"condition": text})
        return out
