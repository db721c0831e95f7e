"""The demo of indices and alerts on a small synthetic county: snapshots, alerts for the planted cases."""

import pytest
from django.core.management import call_command

from dajiuzhu.alerts.models import Alert, FollowUp
from dajiuzhu.indices.models import IndexScore


@pytest.mark.django_db(transaction=True)
def test_demo_scores_twelve_months_and_alerts_the_planted_cases(capsys):
    call_command("seed_demo", people=1200, seed=7, strict=True)
    out = capsys.readouterr().out
    assert IndexScore.objects.values("on").distinct().count() >= 12
    assert Alert.objects.exists()
    assert "planted cases alerted" in out
    closed = FollowUp.objects.select_related("alert").first()
    assert closed is not None and closed.alert.status == "closed"
    assert closed.outcome in ("assisted", "referred")
