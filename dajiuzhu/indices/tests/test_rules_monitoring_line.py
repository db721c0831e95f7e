"""The monitoring line is the line (issue 16, point 1), and no policy number lives in rule or roster code.

Worked examples (demo county, rural monitoring line 7,000 yuan per person per year):
- rural, 2 members, 1,100 a month (550 a person → 6,600 a year) → 边缘易致贫户;
- rural, 2 members, 1,200 a month (600 a person → 7,200 a year) → not a monitoring target (it was,
  under the old 1.5 × line of 10,500);
- the county raises the line to 7,500: the 600-a-person household becomes a target;
- urban, 2 members, 550 a person: monitoring targets are rural only.
"""

import ast
import datetime as dt
import pathlib
from decimal import Decimal

import pytest

from dajiuzhu.accounts.models import ApiToken
from dajiuzhu.core.testing import (
    LINYI_COUNTY,
    LINYI_VILLAGE,
    LINYI_VILLAGE_2,
    URBAN_COMMUNITY,
    make_household,
    make_user,
    member_input,
)
from dajiuzhu.indices.roster import roster_compute
from dajiuzhu.programs.catalogue import ensure_demo_catalogue
from dajiuzhu.programs.services import standard_set

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def two(region, wages):
    return make_household(region, as_of=TODAY - dt.timedelta(days=40), facts={"monthly_wages": Decimal(wages)},
                          members=[member_input("甲", age=50), member_input("乙", relation="spouse", sex="F", age=48)])


def on_roster(client, user, tier):
    _token, key = ApiToken.issue(user=user, name="t")
    got = client.get(f"/api/v1/indices/roster?tier={tier}&page_size=100", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert got.status_code == 200, got.content
    return {row["household_id"] for row in got.json()["items"]}


def test_roster_compares_yearly_income_with_the_monitoring_line_itself(client):
    ensure_demo_catalogue()
    under = two(LINYI_VILLAGE, "1100")
    over = two(LINYI_VILLAGE_2, "1200")
    urban = two(URBAN_COMMUNITY, "1100")
    roster_compute(on=TODAY, region_prefix="371424")
    admin = make_user("county_admin", LINYI_COUNTY)
    targets = on_roster(client, admin, "edge_at_risk")
    assert under.pk in targets
    assert over.pk not in targets  # 7,200 ≥ 7,000
    assert urban.pk not in targets  # rural only


def test_the_county_line_is_data_raising_it_brings_the_household_in(client):
    ensure_demo_catalogue()
    over = two(LINYI_VILLAGE_2, "1200")
    admin = make_user("county_admin", LINYI_COUNTY)
    standard_set(actor=admin, year=TODAY.year, county_code="371424", area="rural", name="monitoring_line",
                 amount="7500")
    roster_compute(on=TODAY, region_prefix="371424")
    assert over.pk in on_roster(client, admin, "edge_at_risk")


def test_the_asset_months_are_a_county_standard(client):
    ensure_demo_catalogue()
    # 800 a person (near-poor, rural), deposits 16,000 → 8,000 a person: ≤ 24 × 720 = 17,280.
    household = make_household(LINYI_VILLAGE, as_of=TODAY - dt.timedelta(days=40),
                                facts={"monthly_wages": Decimal("1600"), "deposits": Decimal("16000")},
                                members=[member_input("甲", age=50),
                                         member_input("乙", relation="spouse", sex="F", age=48)])
    admin = make_user("county_admin", LINYI_COUNTY)
    roster_compute(on=TODAY, region_prefix="371424")
    assert household.pk in on_roster(client, admin, "near_poor")
    # The county lowers the asset limit to 6 months (6 × 720 = 4,320 < 8,000): the household leaves.
    standard_set(actor=admin, year=TODAY.year, county_code="371424", area="rural", name="asset_months", amount="6")
    roster_compute(on=TODAY + dt.timedelta(days=1), region_prefix="371424")
    assert household.pk not in on_roster(client, admin, "near_poor")


# ---- no policy number in code

ROOT = pathlib.Path(__file__).resolve().parents[2]
RULE_MODULES = [
    "indices/roster.py", "indices/standards.py", "programs/rules/language.py", "programs/rules/scalar.py",
    "programs/rules/vector.py", "programs/evaluation.py", "programs/screening.py", "programs/supporters.py",
    "programs/simulation.py", "cases/emergency.py",
]
# Numbers that are arithmetic, calendar or indexing, not policy: small indexes and counts, months in
# a year, days of a month, percent and fen per yuan, bits of an int64, the rule language's scale.
# 9: the digits of a township in a division code.
ALLOWED = {0, 1, 2, 3, 4, 6, 9, 10, 12, 28, 29, 30, 31, 60, 100}
# Technical limits of one module, each named: not policy either.
TECHNICAL = {
    "indices/roster.py": {5000},  # ids per UPDATE on SQLite
    "programs/rules/language.py": {400, 2000, 0.6},  # rule size limits (nodes, characters); "did you mean" cutoff
    "programs/evaluation.py": {4096},  # compiled-rule cache size
    "programs/screening.py": {5000, 50000},  # rows per COPY / insert batch
    "programs/simulation.py": {20},  # households in the sample shown
}


def _policy_literals(path: pathlib.Path, allowed: set) -> list[tuple[int, object]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            if node.value not in allowed:
                found.append((node.lineno, node.value))
    return found


@pytest.mark.django_db(False)
@pytest.mark.parametrize("module", RULE_MODULES)
def test_no_policy_number_is_written_in_rule_or_roster_code(module):
    path = ROOT / module
    assert path.exists(), module
    assert _policy_literals(path, ALLOWED | TECHNICAL.get(module, set())) == [], f"{module}: numbers that look like policy belong in the standards table"
