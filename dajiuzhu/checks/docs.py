"""The delivery guide (docs/department-data.md), generated from ``datatypes.DATA_TYPES``."""

from __future__ import annotations

from django.utils import translation

from dajiuzhu.accounts.departments import DEPARTMENTS

from .datatypes import DATA_TYPES

KIND_TEXT = {"money": "amount in yuan (`1,234.50`, `800元`, full-width digits accepted)",
             "int": "whole number", "date": "date (`2026-03-05`, `2026/3/5`, `2026年3月5日`, `20260305`)",
             "text": "text", "choice": "one of the codes listed"}

INTRO = """# Department data: delivery guide

Each department delivers the data of the items it owns for the household economic-status
verification (家庭经济状况核对, MZ/T 072-2024), either

- **by file** on the page *Data delivery* (`/checks/deliveries/`): one CSV (UTF-8 or GBK) or XLSX
  file per data type, first row = the headers below (in this order or any order; the English field
  names are accepted too); a blank template per data type is at `/checks/templates/<data type>.csv`;
- **by API**: `POST /api/v1/checks/deliveries` with the department's token
  (`Authorization: Bearer djz_…`, issued with `manage.py issue_token`) and a JSON body
  `{"data_type": "wage", "records": [{"id_number": "…", "name": "…", "as_of": "2026-03-31",
  "monthly_wages": "2500.00"}]}`; the answer (201) is the delivery status, also at
  `GET /api/v1/checks/deliveries/{id}`.

Rules of every delivery:

- `身份证号` (`id_number`) identifies the person (18 characters, or the old 15 digits; a lower-case x
  and full-width digits are accepted). People are matched through the blind index of the number;
  a person not in the registry is kept aside, reported on the delivery page, and matched as soon as
  the person is registered.
- `数据日期` (`as_of`) is the date the row describes (a balance on that day, a monthly wage of that
  month, a death on or before it). A date in the future refuses the whole delivery.
- The same person and date twice in one delivery: the second row is refused. A row delivered again
  later with the same values changes nothing; with other values it corrects the earlier row.
- The same delivery twice (same data type and same records, in any order or format) is refused.
- A data type the department does not own is refused. Refusals change nothing and are audited.
- Rows with errors (bad ID number, missing value, a formula such as `=1+1`) are listed with the row
  number, field and reason (downloadable as CSV); the other rows are stored.
- Flows (wages, pensions, benefits, costs, business income, taxes) older than the look-back window
  (`CHECKS_WINDOW_DAYS`, 400 days) no longer describe the reference date; deaths, disability
  certificates and dishonest-debtor listings last.

| Department | Data types |
|---|---|
"""


def department_data_markdown() -> str:
    names = {code: name for code, name, _g in DEPARTMENTS}
    with translation.override("en"):
        out = [INTRO]
        owners: dict[str, list[str]] = {}
        for spec in DATA_TYPES.values():
            owners.setdefault(spec.department, []).append(f"`{spec.code}`")
        for department, codes in owners.items():
            out.append(f"| {names.get(department, department)} (`{department}`) | {', '.join(codes)} |\n")
        out.append("\n## Data types\n")
        for spec in DATA_TYPES.values():
            out.append(f"\n### `{spec.code}` — {spec.label}\n\n")
            out.append(f"Delivered by {names.get(spec.department, spec.department)} (`{spec.department}`). "
                       f"Template: `/checks/templates/{spec.code}.csv`.\n\n")
            out.append("| Header | API field | Required | Value |\n|---|---|---|---|\n")
            if spec.subject == "region":
                out.append("| 行政区划代码 | `region_code` | yes | 12-digit division code of the area |\n")
            else:
                out.append("| 身份证号 | `id_number` | yes | resident ID number |\n")
                out.append("| 姓名 | `name` | no | name (for the report of unmatched people) |\n")
            out.append("| 数据日期 | `as_of` | yes | the date the row describes |\n")
            for field in spec.fields:
                value = f"{field.label}: {KIND_TEXT[field.kind]}"
                if field.choices:
                    value += " (" + ", ".join(f"`{c}`" for c in field.choices) + ")"
                out.append(f"| {field.header} | `{field.name}` | {'yes' if field.required else 'no'} | {value} |\n")
        out.append(VERIFICATION)
    return "".join(out)


VERIFICATION = """
## How the verification uses the data

`checks.services.verify_household` (an application, a periodic review) and the county-wide batch
(`/checks/batch/`, job `checks.batch`) compare, per household and reference date, the latest record
of each data type of each living member with the latest declared household facts:

| Item | Data types | Declared value | Discrepancy when |
|---|---|---|---|
| wages | `wage` + `welfare_job` | wages per month | found − declared > tolerance |
| pensions and benefits | `pension` + `unemployment` | transfer income per month | found − declared > tolerance |
| business income | `business` | business income per month | found − declared > tolerance |
| deposits / securities / commercial insurance | `deposit` / `security` / `insurance` | the same assets | found − declared > tolerance |
| vehicles | `vehicle` | vehicles | found > declared |
| houses | `house` (owned − 1) | houses beyond the one lived in | found > declared |
| self-paid medical costs | `medical` | medical costs, 12 months | declared − found > tolerance |
| members alive | `death_registration`, `cremation` | the registry's living members | a member died on or before the date |
| disability grades | `disability` | each member's declared grade | a different grade |

The tolerance is `CHECKS_TOLERANCE_YUAN` (10 yuan). A department knowing *less* than was declared is
not a discrepancy (not every income is recorded by a department). `hukou`, `marriage`,
`social_insurance`, `tax`, `housing_fund` and `dishonest_debtor` are listed in the report for the
worker without a declared counterpart. A court's `dishonest_debtor` delivery also writes a
dishonesty record (credit) for each matched person, once per case number. `disaster` rows describe
an area (for early warning), not a person.
"""
