"""The vectorised evaluator: every household of a frame at once, numpy int64.

Numbers are int64 in units of 0.0001 (``SCALE``); ``*`` and ``/`` use integer division
rounded half away from zero, which is exactly what the scalar evaluator's Decimal
``quantize(ROUND_HALF_UP)`` does. Where a product could overflow int64 the operation runs on
Python integers (object arrays) instead — slower, never wrong. Each value carries an error
mask (division by zero, out of range, missing standard) with the scalar evaluator's lazy
semantics: an error in a branch that is not taken is no error.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from . import language as L

SCALE = L.SCALE
LIMIT_UNITS = L.LIMIT * SCALE
_SAFE = 2**60


def _or(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a | b


def _and_mask(cond, err):
    """Rows where ``cond`` holds and ``err`` is set."""
    if err is None:
        return None
    return err & cond


def _max_abs(values) -> int:
    if isinstance(values, np.ndarray):
        if values.size == 0:
            return 0
        return int(np.abs(values).max()) if values.dtype != object else max(abs(int(v)) for v in values)
    return abs(int(values))


def _round_div(numerator, denominator):
    """Integer n / d rounded half away from zero (d ≠ 0), on int64 or object arrays alike."""
    sign = np.sign(numerator) * np.sign(denominator)
    an, ad = np.abs(numerator), np.abs(denominator)
    return sign * ((2 * an + ad) // (2 * ad))


class VectorEvaluator:
    """Evaluate rules over ``columns`` (scaled numbers or bools, one value per row)."""

    def __init__(self, *, n: int, columns: Mapping[str, np.ndarray], standards: Mapping[str, np.ndarray],
                 standard_missing: Mapping[str, np.ndarray] | None = None, params: Mapping | None = None):
        self.n = n
        self.columns = columns
        self.standards = standards
        self.standard_missing = standard_missing or {}
        self.params = params or {}

    # range handling: out-of-range rows become errors with value 0
    def _ranged(self, values, err):
        if isinstance(values, np.ndarray):
            if values.dtype == object:
                bad = np.fromiter((abs(int(v)) > LIMIT_UNITS for v in values), dtype=bool, count=len(values))
                values = np.where(bad, 0, values).astype(np.int64)
            else:
                bad = np.abs(values) > LIMIT_UNITS
                if bad.any():
                    values = np.where(bad, 0, values)
                else:
                    bad = None
            return values, _or(err, bad)
        if abs(int(values)) > LIMIT_UNITS:
            return 0, _or(err, np.ones(self.n, dtype=bool))
        return values, err

    def run(self, rule: L.Rule):
        """(values, error mask or None): values are int64 units for a number, bool for a boolean."""
        values, err = self.eval(rule.root)
        dtype = bool if rule.type == L.BOOL else np.int64
        values = np.asarray(values, dtype=dtype)
        if values.shape != (self.n,):
            values = np.broadcast_to(values, (self.n,)).copy()
        if err is not None:
            err = np.asarray(err, dtype=bool)
            if err.shape != (self.n,):
                err = np.broadcast_to(err, (self.n,)).copy()
        return values, err

    def eval(self, node: L.Node):  # noqa: C901 - one branch per node class
        if isinstance(node, L.Const):
            if node.type == L.BOOL:
                return bool(node.value), None
            return int(node.value * SCALE), None
        if isinstance(node, L.Fact):
            if node.name not in self.columns:  # a fact the frame lacks: an error, as in the scalar evaluator
                empty = np.zeros(self.n, dtype=bool if node.type == L.BOOL else np.int64)
                return empty, np.ones(self.n, dtype=bool)
            return self.columns[node.name], self.columns.get(f"!{node.name}")
        if isinstance(node, L.Std):
            return self.standards[node.name], self.standard_missing.get(node.name)
        if isinstance(node, L.Param):
            raw = self.params[node.name]
            if node.type == L.BOOL:
                return bool(raw), None
            from .scalar import to_number

            return self._ranged(int(to_number(raw) * SCALE), None)
        if isinstance(node, L.BinOp):
            a, ea = self.eval(node.left)
            b, eb = self.eval(node.right)
            err = _or(ea, eb)
            if node.op == "+":
                return self._ranged(a + b, err)
            if node.op == "-":
                return self._ranged(a - b, err)
            if node.op == "*":
                if _max_abs(a) * _max_abs(b) <= _SAFE:
                    return self._ranged(_round_div(np.multiply(a, b), SCALE), err)
                return self._ranged(_round_div(np.multiply(_obj(a), _obj(b)), SCALE), err)
            zero = b == 0
            if isinstance(zero, np.ndarray):
                if zero.any():
                    err = _or(err, zero)
                    b = np.where(zero, 1, b)
            elif zero:
                return np.zeros(self.n, dtype=np.int64), np.ones(self.n, dtype=bool)
            if _max_abs(a) * SCALE <= _SAFE and _max_abs(b) <= _SAFE:
                return self._ranged(_round_div(np.multiply(a, SCALE), b), err)
            return self._ranged(_round_div(np.multiply(_obj(a), SCALE), _obj(b)), err)
        if isinstance(node, L.Neg):
            a, ea = self.eval(node.operand)
            return -a, ea
        if isinstance(node, L.Not):
            a, ea = self.eval(node.operand)
            return np.logical_not(a), ea
        if isinstance(node, L.BoolOp):
            acc, err = self.eval(node.values[0])
            for value in node.values[1:]:
                v, ev = self.eval(value)
                if node.op == "and":
                    err = _or(err, _and_mask(acc, ev))
                    acc = np.logical_and(acc, v)
                else:
                    err = _or(err, _and_mask(np.logical_not(acc), ev))
                    acc = np.logical_or(acc, v)
            return acc, err
        if isinstance(node, L.Compare):
            left, err = self.eval(node.operands[0])
            result = True
            for op, operand in zip(node.ops, node.operands[1:]):
                right, er = self.eval(operand)
                err = _or(err, _and_mask(result, er))
                result = np.logical_and(result, _compare(op, left, right))
                left = right
            return result, err
        if isinstance(node, L.In):
            a, ea = self.eval(node.operand)
            options = [int(o * SCALE) for o in node.options]
            found = np.isin(a, options) if isinstance(a, np.ndarray) else a in options
            return (np.logical_not(found) if node.negated else found), ea
        if isinstance(node, L.IfElse):
            t, et = self.eval(node.test)
            body, eb = self.eval(node.body)
            orelse, eo = self.eval(node.orelse)
            err = et
            if eb is not None or eo is not None:
                full_b = eb if eb is not None else np.zeros(self.n, dtype=bool)
                full_o = eo if eo is not None else np.zeros(self.n, dtype=bool)
                err = _or(err, np.where(t, full_b, full_o))
            return np.where(t, body, orelse), err
        if isinstance(node, L.Call):
            evaluated = [self.eval(a) for a in node.args]
            args = [v for v, _e in evaluated]
            err = None
            for _v, e in evaluated:
                err = _or(err, e)
            if node.fn == "min":
                out = args[0]
                for a in args[1:]:
                    out = np.minimum(out, a)
                return out, err
            if node.fn == "max":
                out = args[0]
                for a in args[1:]:
                    out = np.maximum(out, a)
                return out, err
            if node.fn == "abs":
                return np.abs(args[0]), err
            if node.fn == "clamp":
                return np.minimum(np.maximum(args[0], args[1]), args[2]), err
            if node.fn == "round":
                unit = 10 ** (L.SCALE_PLACES - int(node.args[1].value))
                return _round_div(args[0], unit) * unit, err
        raise TypeError(f"unknown node {node!r}")


def _obj(values):
    if isinstance(values, np.ndarray):
        return values.astype(object)
    return int(values)


def _compare(op: str, a, b):
    if op == "<":
        return np.less(a, b)
    if op == "<=":
        return np.less_equal(a, b)
    if op == ">":
        return np.greater(a, b)
    if op == ">=":
        return np.greater_equal(a, b)
    if op == "==":
        return np.equal(a, b)
    return np.not_equal(a, b)
