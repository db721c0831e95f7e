import datetime as dt
import random
from decimal import Decimal

import pytest

from dajiuzhu.core.demo import DemoContext
from dajiuzhu.core.testing import LINYI_VILLAGE, XINGLONG_VILLAGE, make_household, member_input
from dajiuzhu.results.models import AssistanceRecord, BatchStatus, PaymentBatch, PaymentLine, Source

pytestmark = pytest.mark.django_db


def test_demo_builds_a_year_of_payments_and_leaves_this_months_batch_for_the_approver():
    from dajiuzhu.accounts.demo import ensure_demo_accounts
    from dajiuzhu.dashboards import demo as dashboards_demo
    from dajiuzhu.dashboards.models import Figure
    from dajiuzhu.results import demo

    ensure_demo_accounts()
    today = dt.date.today()
    for i in range(12):
        make_household(LINYI_VILLAGE if i % 2 else XINGLONG_VILLAGE, facts={"monthly_wages": Decimal("100.00")},
                       members=[member_input(f"户主{i}", age=50 + i)])
    ctx = DemoContext(rng=random.Random(5), today=today, log=lambda message: None)
    demo.seed(ctx)
    batches = PaymentBatch.objects.order_by("month")
    assert batches.count() == 12
    assert [b.status for b in batches][:-1] == [BatchStatus.RECONCILED] * 11
    assert batches.last().status == BatchStatus.CHECKED and batches.last().month == today.replace(day=1)
    for batch in batches[:11]:
        assert batch.approved_by_id != batch.generated_by_id
        assert batch.failed_count == min(2, batch.line_count)
    paid = PaymentLine.objects.filter(status="paid").count()
    assert AssistanceRecord.objects.filter(source=Source.PAYMENT).count() == paid == ctx.shared["results"]["payments"]
    assert ctx.shared["results"]["kept_aside"] == 2
    dashboards_demo.seed(ctx)
    assert Figure.objects.filter(region_prefix="371424", metric="spending").exists()
