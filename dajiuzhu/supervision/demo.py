"""Demo data of flat management (seeded after the cases, checks and results apps).

- The 2026 and 2027 calendars and the time limits of DOMAIN.md for the demo county and for 陵城区.
- A second county of 德州市, 陵城区 (371403), with a few thousand people from the registry's synthetic
  generator, its own administrator and township handler, so the city compares two counties.
- Accounts above the county: ``dezhou_city`` (德州市民政局, city_supervisor) and ``shandong_province``
  (山东省民政厅, province_supervisor); password ``Linyi-demo-2026`` like every demo account.
- Check-first 特困 applications accepted weeks ago in both counties (real services, then their acceptance
  moved back): their township review is overdue; the scan records them and warns the county.
- This month's spot-check draw (seed 20261208), one check assigned to the county supervisor and recorded
  with a difference (a review opened), one left for the supervisor to record.
- A course, a session with attendance, an exam with a bank of questions; the county approver holds a
  certificate, the township handlers do not (the supervisor's page warns).
- Complaints: one answered and closed, one open and assigned, one tip about a recipient.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dajiuzhu.core.demo import DemoContext
from dajiuzhu.core.errors import DomainError

SECOND_COUNTY = "371403"  # 陵城区
SECOND_PEOPLE = 3000
SECOND_FROM = 10_000  # a smaller demo (tests, quick looks) has no second county
SECOND_SEED = 371403
ACCOUNTS = [
    ("dezhou_city", "德州市民政局监督员", "city_supervisor", "371400000000"),
    ("shandong_province", "山东省民政厅监督员", "province_supervisor", "370000000000"),
    ("lingcheng_admin", "陵城区救助中心管理员", "county_admin", "371403000000"),
    ("lingcheng_handler", "郑家寨镇窗口经办员", "township_handler", "371403101000"),
]
QUESTIONS = [
    ("低保审核审批中，公示期不少于几天？", ["3天", "5天", "7天", "15天"], 2),
    ("特困人员认定的年龄条件之一是？", ["50周岁以上", "60周岁以上", "70周岁以上", "80周岁以上"], 1),
    ("“肯定式受理、否定式审查”中，申请人首先要签署什么？", ["信用承诺书", "遗嘱", "劳动合同", "保险单"], 0),
    ("家庭经济状况核对须取得谁的书面授权？", ["村委会", "申请人及共同生活家庭成员", "乡镇政府", "银行"], 1),
    ("临时救助急难型的审批时限（本县）是？", ["1个工作日", "5个工作日", "10个工作日", "20个工作日"], 0),
    ("发现申请人隐瞒收入骗取救助，应当？", ["不予理会", "停发并追回，记入失信记录", "口头批评", "加发救助金"], 1),
]


def _accounts():
    from dajiuzhu.accounts.models import User

    users = {}
    for username, name, role, region in ACCOUNTS:
        user, created = User.objects.get_or_create(username=username, defaults={
            "full_name": name, "role": role, "region_id": region})
        if created or not user.check_password(settings.DEMO_PASSWORD):
            user.set_password(settings.DEMO_PASSWORD)
            user.save()
        users[username] = user
    return users


def ensure_demo_catalogue_for_second() -> None:
    """陵城区's standards (the catalogue's items are shared)."""
    from dajiuzhu.programs.catalogue import ensure_demo_catalogue

    ensure_demo_catalogue(county_code=SECOND_COUNTY)


def _overdue_cases(ctx: DemoContext, handler, count: int, days_ago: int) -> list:
    """Check-first 特困 applications of households of the handler's township that the screening found
    eligible and that have no application yet, accepted ``days_ago`` days ago and not yet reviewed."""
    from dajiuzhu.cases.models import Case, CaseEvent
    from dajiuzhu.cases.window import window_submit
    from dajiuzhu.programs.models import ScreeningHit
    from dajiuzhu.registry.models import Household

    eligible = (ScreeningHit.objects.filter(item__code="tekun", region_code__startswith=handler.region_id[:9])
                .values_list("household_id", flat=True))
    households = (Household.objects.filter(pk__in=eligible).exclude(case_items__isnull=False)
                  .order_by("id")[:count * 3])
    made = []
    for household in households:
        if len(made) >= count:
            break
        try:
            case = window_submit(actor=handler, item_codes=["tekun"], facts={"monthly_wages": "0"},
                                 promise_signed=True, authorisation_signed=True, household_id=household.pk)
        except DomainError as exc:  # e.g. a member already receives something that excludes it: the next one
            ctx.log(f"supervision: household {household.pk} skipped ({exc.message})")
            continue
        if case.status != "accepted":  # decided at once on the declared facts: no late step
            continue
        accepted = timezone.now() - dt.timedelta(days=days_ago + 3 * len(made))
        Case.objects.filter(pk=case.pk).update(created_at=accepted)
        CaseEvent.objects.filter(case=case).update(at=accepted)
        made.append(case)
    return made


def seed(ctx: DemoContext) -> None:
    from dajiuzhu.accounts.models import User
    from dajiuzhu.registry.synthetic import load_county

    from .calendar import ensure_demo_limits, ensure_official_holidays
    from .models import Course, Exam, SpotCheckDraw
    from .timelimits import overdue_scan

    county = ctx.county_code
    users = _accounts()
    from dajiuzhu.registry.models import Household

    second = ctx.people >= SECOND_FROM
    if second and not Household.objects.filter(region_code__startswith=SECOND_COUNTY).exists():
        from dajiuzhu.programs.screening import screen_region

        result = load_county(people=SECOND_PEOPLE, seed=SECOND_SEED, county=SECOND_COUNTY, today=ctx.today, log=ctx.log)
        ctx.log(f"supervision: second county 陵城区 with {result.people:,} people in {result.households:,} households")
        ensure_demo_catalogue_for_second()
        screen_region(actor=None, region_prefix=SECOND_COUNTY, on=ctx.today)
    ensure_demo_catalogue_for_second()
    for code in (county, SECOND_COUNTY):
        ensure_official_holidays(code)
        ensure_demo_limits(code)
    if Course.objects.filter(county_code=county).exists():
        ctx.log("supervision: demo data already present")
        return
    handlers = {u.region_id: u for u in User.objects.filter(role="township_handler")}
    admin = User.objects.get(username="county_admin")
    approver = User.objects.get(username="county_approver")
    supervisor = User.objects.get(username="supervisor")
    with transaction.atomic():
        late = _overdue_cases(ctx, handlers["371424100000"], 3, 40)
        if second:
            late += _overdue_cases(ctx, users["lingcheng_handler"], 2, 45)
        scan = overdue_scan(on=ctx.today)
    ctx.log(f"supervision: {len(late)} late applications; scan {scan}")
    _training(admin, approver)
    _spot_checks(ctx, admin, supervisor)
    _complaints(ctx, admin, handlers)
    ctx.log(f"supervision: spot-check draws {SpotCheckDraw.objects.count()}, exams {Exam.objects.count()}")


@transaction.atomic
def _training(admin, approver) -> None:
    from .models import Exam
    from .training import attendance_record, course_create, exam_start, exam_submit, question_add, session_create

    course = course_create(actor=admin, title="社会救助政策与“肯定式受理、否定式审查”", kind="policy", hours="4")
    course_create(actor=admin, title="智慧大救助平台操作", kind="systems", hours="2")
    course_create(actor=admin, title="廉洁履职与信息保护", kind="ethics", hours="2")
    session = session_create(actor=admin, course=course, starts_at=timezone.now() - dt.timedelta(days=3), hours="4",
                             place="县民政局三楼会议室")
    from dajiuzhu.accounts.models import User

    attendance_record(actor=admin, session=session, users=list(User.objects.filter(
        username__in=["linyi_handler", "linyi_approver", "county_approver"])))
    exam = Exam.objects.create(course=course, title="持证上岗考试（社会救助政策）", questions_per_attempt=5, pass_mark=80,
                               minutes=30)
    for text, choices, answer in QUESTIONS:
        question_add(actor=admin, exam=exam, text=text, choices=choices, answer=answer)
    attempt = exam_start(actor=approver, exam=exam)
    from .models import Question

    right = {str(q.pk): q.answer for q in Question.objects.filter(pk__in=attempt.question_ids)}
    exam_submit(actor=approver, attempt=attempt, answers=right)


def _spot_checks(ctx: DemoContext, admin, supervisor) -> None:
    from dajiuzhu.core.errors import DomainError

    from .models import SpotCheck
    from .spotchecks import spot_assign, spot_draw, spot_record

    month = ctx.today.replace(day=1)
    try:
        with transaction.atomic():
            draw = spot_draw(actor=admin, month=month, seed=20261208)
    except DomainError as exc:  # e.g. early in a month with no decision yet
        ctx.log(f"supervision: no spot-check draw ({exc.message})")
        return
    checks = list(draw.checks.order_by("id")[:2])
    for n, check in enumerate(checks):
        with transaction.atomic():
            spot_assign(actor=admin, check=check, checker=supervisor)
            if n == 0:
                spot_record(actor=supervisor, check=check, visited_on=ctx.today,
                            findings={"members_present": "户主及配偶在家", "housing": "砖瓦房三间，新购电动三轮车一辆",
                                      "income_seen": "配偶在镇上超市打工，月收入约2000元，未申报"},
                            outcome=SpotCheck.Outcome.DIFFERS, difference="配偶务工收入未申报，需复核")
    ctx.log(f"supervision: spot-check draw of {month:%Y-%m}: {draw.sample_size} of {draw.population} cases")


@transaction.atomic
def _complaints(ctx: DemoContext, admin, handlers) -> None:
    from dajiuzhu.accounts.models import User
    from dajiuzhu.cases.models import Case

    from .complaints import complaint_answer, complaint_assign, complaint_close, complaint_submit

    xinglong = User.objects.get(username="linyi_approver")  # the township's approver answers for its window
    case = Case.objects.filter(region_code__startswith="371424100", status="decided").order_by("id").first()
    first = complaint_submit(kind="complaint", text="在镇便民服务中心窗口办理低保，经办人让我跑了三趟才受理。",
                             region_code="371424100202", channel="public", case=case)
    complaint_assign(actor=admin, complaint=first, assignee=xinglong)
    complaint_answer(actor=xinglong, complaint=first,
                     answer="经核实，窗口未一次性告知所需材料。已对经办人批评教育，并在窗口张贴一次性告知单。")
    complaint_close(actor=xinglong, complaint=first)
    second = complaint_submit(kind="complaint", text="同一件事：受理后十多天没有消息，电话也没人接。",
                              region_code="371424100202", channel="public", case=case)
    complaint_assign(actor=admin, complaint=second, assignee=xinglong)
    complaint_submit(kind="tip", text="该户家里新买了小轿车，儿子在城里开店，不符合低保条件。", region_code="371424100202",
                     channel="public", case=case, anonymous=True)
