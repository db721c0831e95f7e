"""The rule language of the catalogue: compile, evaluate one household, evaluate a frame."""

from .language import APPLICANT_FACTS, BOOL, NUM, Rule, RuleError, compile_rule, fact_kinds
from .scalar import EvaluationError, evaluate
from .vector import VectorEvaluator

__all__ = ["APPLICANT_FACTS", "BOOL", "NUM", "EvaluationError", "Rule", "RuleError", "VectorEvaluator",
           "compile_rule", "evaluate", "fact_kinds"]
