"""Index models, scoring and the Alkire–Foster aggregates (worked examples)."""

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from dajiuzhu.core.errors import DomainError
from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import LINYI_VILLAGE, make_household, make_user, member_input
from dajiuzhu.indices.config import config_problems, default_config
from dajiuzhu.indices.engine import alkire_foster, band_of, deprivation
from dajiuzhu.indices.models import IndexModel, IndexScore
from dajiuzhu.indices.selectors import explain_hardship, latest_score
from dajiuzhu.indices.services import (
    active_model,
    index_model_activate,
    index_model_draft_save,
    index_scores_compute,
)

pytestmark = pytest.mark.django_db


def test_worked_example_h_a_m0():
    # Four households, c = 0.5, 0.25, 0.75, 0; k = 1/3: two are poor.
    scores = np.array([0.5, 0.25, 0.75, 0.0])
    parts = np.array([[1, 0], [0.5, 0], [1, 0.5], [0, 0]], dtype=float)
    weights = np.array([0.5, 0.5])
    out = alkire_foster(scores=scores, parts=parts, weights=weights, k=1 / 3)
    assert out["H"] == 0.5
    assert out["A"] == 0.625  # (0.5 + 0.75) / 2
    assert out["M0"] == 0.3125  # H·A = mean censored score (0.5 + 0 + 0.75 + 0) / 4
    # censored headcounts: indicator 1 deprived for both poor (2/4), indicator 2 for one of them, 0.5 (0.5/4)
    assert out["censored"] == [0.5, 0.125]
    assert out["contribution"][0] + out["contribution"][1] == pytest.approx(1)


def test_people_weighting_counts_persons():
    scores = np.array([0.5, 0.0])
    parts = np.array([[1.0], [0.0]])
    out = alkire_foster(scores=scores, parts=parts, weights=np.array([1.0]), k=0.4, population=np.array([3, 1]))
    assert out["H"] == 0.75 and out["M0"] == 0.375


def test_graded_deprivation_takes_the_deepest_grade_met():
    g = deprivation(np.array([0.5, 1.2, 2.0]), {"grades": [[1.0, 1.0], [1.5, 0.5]]}, "below")
    assert g.tolist() == [1.0, 0.5, 0.0]


def test_bands_include_the_top_and_leave_unscored_empty():
    bands = default_config("hardship")["bands"]
    idx = band_of(np.array([0.0, 0.2, 0.3333, 1.0, np.nan]), bands)
    assert [bands[i]["code"] if i >= 0 else "" for i in idx] == ["low", "moderate", "high", "severe", ""]


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda c: c["indicators"][0].update(weight=0.3), "sum to"),
    (lambda c: c["bands"][1].update(min=0.25), "gap"),
    (lambda c: c["bands"][1].update(min=0.1), "overlap"),
    (lambda c: c["indicators"].append({"code": "horoscope", "weight": 0}), "unknown indicator"),
])
def test_activation_refuses_bad_hardship_models_and_changes_nothing(mutate, message):
    admin = make_user("county_admin", "371424000000")
    active = active_model("hardship")
    config = default_config("hardship")
    mutate(config)
    draft = index_model_draft_save(actor=admin, kind="hardship", config=config)
    events = AuditEvent.objects.count()
    with pytest.raises(DomainError, match=message):
        index_model_activate(actor=admin, model=draft)
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert IndexModel.objects.get(kind="hardship", status="active") == active
    assert AuditEvent.objects.count() == events


def test_goalpost_min_not_below_max_is_refused():
    config = default_config("development")
    config["indicators"][2].update(min=40000, max=40000)
    assert any("goalpost" in p for p in config_problems("development", config))


def test_activation_retires_the_previous_version_and_is_audited():
    admin = make_user("county_admin", "371424000000")
    old = active_model("development")
    config = default_config("development")
    config["floor"] = 0.05
    draft = index_model_draft_save(actor=admin, kind="development", config=config)
    index_model_activate(actor=admin, model=draft)
    old.refresh_from_db()
    assert old.status == "retired" and draft.version == old.version + 1
    assert AuditEvent.objects.filter(action="indices.model.activate", object_id=str(draft.pk)).exists()


def test_village_worker_may_not_edit_models():
    worker = make_user("village_worker", LINYI_VILLAGE)
    with pytest.raises(DomainError):
        index_model_draft_save(actor=worker, kind="hardship", config=default_config("hardship"))
    assert not IndexModel.objects.filter(status="draft").exists()


def _poor_household():
    return make_household(
        members=[member_input("王一", age=70), member_input("王二", relation="spouse", sex="F", age=68,
                                                            health="serious")],
        facts={"monthly_wages": Decimal("300"), "annual_medical_expense": Decimal("20000"), "housing": "d_class"},
    )


def test_scores_are_stored_with_versions_breakdown_and_words():
    household = _poor_household()
    on = dt.date.today()
    counts = index_scores_compute(on=on, region_prefix="371424")
    assert counts["households"] == 1 and counts["poor"] == 1
    score = latest_score(household)
    assert score.hardship_model == active_model("hardship")
    assert score.poor and score.hardship >= 1 / 3
    assert len(score.hardship_parts) == len(score.hardship_model.config["indicators"])
    lines = {line["code"]: line for line in explain_hardship(score)}
    assert lines["income_ratio"]["state"] == "deprived"
    # 150 yuan per person against 720: under half the standard, the deepest grade
    assert lines["income_ratio"]["text"] == "per-capita income below 0.5 × the minimum living standard (weight 0.25)"
    assert lines["housing"]["text"] == "dangerous house or no house of its own (weight 0.05)"
    assert "illness" in score.risk_types
    assert 0 < score.development < 1


def test_rerunning_the_same_date_changes_nothing():
    _poor_household()
    make_household()
    on = dt.date.today()
    index_scores_compute(on=on, region_prefix="371424")
    first = list(IndexScore.objects.values())
    index_scores_compute(on=on, region_prefix="371424")
    assert list(IndexScore.objects.values()) == first


def test_missing_facts_are_scored_with_what_is_known_and_the_gap_shown():
    from dajiuzhu.core.testing import _system_admin
    from dajiuzhu.registry.services import household_register

    household = household_register(actor=_system_admin(LINYI_VILLAGE), region_code=LINYI_VILLAGE,
                                   members=[member_input("赵一", age=75, health="serious")], facts=None,
                                   as_of=dt.date.today() - dt.timedelta(days=1))
    index_scores_compute(on=dt.date.today(), region_prefix="371424")
    score = latest_score(household)
    assert score.hardship is not None and score.hardship_coverage < 1
    parts = dict(zip([s["code"] for s in score.hardship_model.config["indicators"]], score.hardship_parts))
    assert parts["income_ratio"] is None and parts["health"] is not None
    missing = [line for line in explain_hardship(score) if line["state"] == "missing"]
    assert {line["code"] for line in missing} >= {"income_ratio", "housing"}
    assert score.development is not None and score.development_coverage < 1


def test_a_household_moved_in_and_already_scored_today_is_updated_not_duplicated():
    from dajiuzhu.core.testing import XINGLONG_VILLAGE, _system_admin
    from dajiuzhu.registry.services import household_update

    household = _poor_household()
    on = dt.date.today()
    index_scores_compute(on=on, region_prefix="371424100")
    household_update(actor=_system_admin(household.region_code), household=household, region_code=XINGLONG_VILLAGE)
    index_scores_compute(on=on, region_prefix="371424105")
    score = IndexScore.objects.get(household=household, on=on)
    assert score.region_code == XINGLONG_VILLAGE
