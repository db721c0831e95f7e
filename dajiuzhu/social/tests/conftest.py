import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from stdnum.cn import uscc

from dajiuzhu.core.testing import (
    LINYI_COUNTY,
    LINYI_TOWN,
    LINYI_VILLAGE,
    XINGLONG_VILLAGE,
    make_household,
    make_user,
    member_input,
)


def credit_code(n: int) -> str:
    base = f"52371424MJD{n:06d}"
    return base + uscc.calc_check_digit(base)


def give_benefit(household, code: str = "dibao", *, on: dt.date | None = None):
    """An approved benefit in force (a bare case and case item, as the cases app stores them)."""
    from dajiuzhu.cases.models import Case, CaseItem
    from dajiuzhu.programs.catalogue import ensure_demo_catalogue
    from dajiuzhu.programs.models import AssistanceItem

    ensure_demo_catalogue()
    on = on or timezone.localdate() - dt.timedelta(days=400)
    case = Case.objects.create(number=f"T{household.pk:08d}{code}", household=household, applicant=household.head,
                               region_code=household.region_code, accepted_region_code=household.region_code)
    return CaseItem.objects.create(case=case, household=household, region_code=household.region_code,
                                   item=AssistanceItem.objects.get(code=code), status="approved", effective_from=on)


@pytest.fixture
def admin():
    return make_user("county_admin", LINYI_COUNTY)


@pytest.fixture
def org(admin):
    from dajiuzhu.social.services import organisation_register

    return organisation_register(actor=admin, name="临邑县阳光社会工作服务中心", credit_code=credit_code(1),
                                 authority="临邑县民政局", region_code=LINYI_COUNTY, services=["visit", "care_hour",
                                                                                           "counselling"],
                                 area_codes=[LINYI_TOWN], contact_name="王芳", contact_phone="13805340001",
                                 qualifications=[{"name": "社会组织登记证书", "number": "鲁临民证字第001号",
                                                  "expires_on": dt.date(2030, 1, 1)}])


@pytest.fixture
def org2(admin):
    from dajiuzhu.social.services import organisation_register

    return organisation_register(actor=admin, name="临邑县兴隆养老服务社", credit_code=credit_code(2),
                                 authority="临邑县民政局", region_code=LINYI_COUNTY, services=["visit"],
                                 area_codes=["371424105000"], contact_name="李强")


@pytest.fixture
def project(admin, org, org2):
    from dajiuzhu.accounts.departments import ensure_departments
    from dajiuzhu.accounts.models import Department
    from dajiuzhu.social.services import project_create

    ensure_departments()
    today = timezone.localdate()
    return project_create(actor=admin, name="困难群众探访关爱服务", region_code=LINYI_COUNTY,
                          department=Department.objects.get(code="civil_affairs"), budget=Decimal("10000.00"),
                          start=dt.date(today.year - 1, 1, 1), end=dt.date(today.year + 1, 12, 31),
                          organisations=[org, org2], prices={"visit": "50.00", "care_hour": "30.00",
                                                            "counselling": "120.00"},
                          target_groups="低保家庭独居老人", case_item_codes=["tekun"])


@pytest.fixture
def coordinator(admin, org):
    from dajiuzhu.social.services import organisation_link_user

    user = make_user("social_org", LINYI_COUNTY)
    organisation_link_user(actor=admin, organisation=org, user=user, is_coordinator=True)
    return user


@pytest.fixture
def worker(admin, org):
    from dajiuzhu.social.services import organisation_link_user

    user = make_user("social_org", LINYI_COUNTY)
    organisation_link_user(actor=admin, organisation=org, user=user)
    return user


@pytest.fixture
def elderly_alone():
    return make_household(LINYI_VILLAGE, members=[member_input("赵老汉", age=78)])


@pytest.fixture
def family():
    return make_household(LINYI_VILLAGE)


@pytest.fixture
def far_household():
    return make_household(XINGLONG_VILLAGE)
