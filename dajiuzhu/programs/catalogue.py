"""The demo catalogue: ten categories, 44 items of 17 departments (12 delegated to townships), the demo standards.

Amounts are the *demo* values of DOMAIN.md (illustrative, not official). Rules name
standards (``std.dibao``) and never hold amounts themselves; coefficients a county sets
(1.3 × the 低保 standard for 特困, 1.5 × for 低保边缘, 70 % rigid-spending share …) are
standards too. ``ensure_demo_catalogue()`` is idempotent: tests and ``seed_demo`` call it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

CATEGORIES = [
    ("living", "生活救助"), ("medical", "医疗救助"), ("education", "教育救助"), ("housing", "住房救助"),
    ("employment", "就业救助"), ("temporary", "临时救助"), ("disaster", "受灾人员救助"), ("disability", "残疾人救助"),
    ("children", "困境儿童保障"), ("judicial", "司法救助"),
]

# name: (label, unit, urban, rural)
STANDARDS: dict[str, tuple[str, str, str, str]] = {
    "dibao": ("低保标准", "yuan_month", "900", "720"),
    "tekun_factor": ("特困基本生活标准系数", "ratio", "1.3", "1.3"),
    "care_full": ("全护理照料标准", "yuan_month", "1000", "1000"),
    "care_partial": ("半护理照料标准", "yuan_month", "600", "600"),
    "care_self": ("全自理照料标准", "yuan_month", "80", "80"),
    "near_poor_factor": ("低保边缘系数", "ratio", "1.5", "1.5"),
    "asset_months": ("人均金融资产上限月数", "count", "24", "24"),
    "disposable_income": ("上年度居民人均可支配收入", "yuan_year", "42000", "20000"),
    "rigid_share": ("刚性支出占收入比例", "ratio", "0.70", "0.70"),
    "temporary_multiple": ("临时救助倍数", "count", "10", "10"),
    "monitoring_line": ("防返贫监测线（元/人·年）", "yuan_year", "7000", "7000"),
    "sudden_income_fall": ("突发严重困难：收入较上年下降比例", "ratio", "0.5", "0.5"),
    "former_years": ("脱贫过渡期（年）", "count", "5", "5"),
    "recent_leaver_months": ("近期退出认定期（月）", "count", "12", "12"),
    "rigid_valid_months": ("刚性支出困难认定有效期（月）", "count", "12", "12"),
    "emergency_multiple_1": ("急难型临时救助一档倍数", "count", "2", "2"),
    "emergency_multiple_2": ("急难型临时救助二档倍数", "count", "5", "5"),
    "emergency_multiple_3": ("急难型临时救助三档倍数（封顶）", "count", "10", "10"),
    "emergency_loss_2": ("急难型二档：财产损失超过（元）", "yuan", "10000", "10000"),
    "emergency_loss_3": ("急难型三档：财产损失超过（元）", "yuan", "30000", "30000"),
    "emergency_window_days": ("急难事件可申请期限（天）", "count", "90", "90"),
    "urgent_limit": ("先行救助每案上限", "yuan", "2000", "2000"),
    "urgent_paperwork_days": ("先行救助补办手续期限（工作日）", "count", "10", "10"),
    "hearing_answer_days": ("失信告知陈述申辩期限（工作日）", "count", "5", "5"),
    "supporter_adult_age": ("赡养义务人成年年龄", "count", "18", "18"),
    "supporter_old_age": ("赡养义务人高龄（视为无能力）", "count", "70", "70"),
    "supporter_unable_grade": ("义务人残疾等级在此级别及以上视为无能力", "count", "2", "2"),
    "topup_elderly": ("分类施保：老年人加发", "yuan_month", "60", "50"),
    "topup_disabled": ("分类施保：残疾人加发", "yuan_month", "100", "80"),
    "topup_ill": ("分类施保：重病患者加发", "yuan_month", "100", "80"),
    "elderly_allowance": ("80周岁以上高龄津贴", "yuan_month", "100", "100"),
    "disability_living": ("困难残疾人生活补贴", "yuan_month", "120", "120"),
    "disability_care": ("重度残疾人护理补贴", "yuan_month", "130", "130"),
    "orphan_allowance": ("孤儿基本生活费", "yuan_month", "1500", "1500"),
    "unsupported_child_allowance": ("事实无人抚养儿童基本生活费", "yuan_month", "1500", "1500"),
    "med_premium": ("城乡居民医保个人缴费（元/人·年）", "yuan_year", "380", "380"),
    "med_share_1": ("医疗救助比例（一类）", "ratio", "0.90", "0.90"),
    "med_share_2": ("医疗救助比例（二类）", "ratio", "0.75", "0.75"),
    "med_share_3": ("医疗救助比例（三类）", "ratio", "0.65", "0.65"),
    "med_share_4": ("医疗救助比例（因病致贫）", "ratio", "0.50", "0.50"),
    "med_cap": ("医疗救助年度封顶线", "yuan_year", "50000", "50000"),
    "med_threshold": ("大额医疗费用起付线（元/年）", "yuan_year", "10000", "10000"),
    "edu_preschool": ("学前教育资助（元/人·年）", "yuan_year", "1000", "1000"),
    "edu_boarding": ("义务教育寄宿生生活补助（元/人·年）", "yuan_year", "1000", "1000"),
    "edu_high_school": ("普通高中国家助学金（元/人·年）", "yuan_year", "2000", "2000"),
    "edu_college_entry": ("大学新生入学资助（一次性）", "yuan", "1000", "1000"),
    "renovation_d": ("D级危房改造补助", "yuan", "35000", "35000"),
    "renovation_c": ("C级危房加固补助", "yuan", "15000", "15000"),
    "rent_subsidy": ("住房租赁补贴（元/人·月）", "yuan_month", "150", "100"),
    "training_subsidy": ("就业技能培训补贴", "yuan", "1500", "1500"),
    "job_search_subsidy": ("一次性求职创业补贴", "yuan", "1000", "1000"),
    "disaster_emergency": ("应急救助（元/人）", "yuan", "300", "300"),
    "disaster_transition": ("过渡期生活救助（元/人·月）", "yuan_month", "600", "600"),
    "disaster_winter": ("冬春救助（元/人）", "yuan", "500", "500"),
    "disaster_rebuild": ("倒损住房恢复重建补助", "yuan", "40000", "40000"),
    "judicial_cap": ("司法救助上限", "yuan", "60000", "60000"),
}

ASSETS = ("per_capita_financial_assets <= std.asset_months * std.dibao and vehicles_non_disability == 0 "
          "and extra_houses == 0")
NEAR_POOR_LINE = "std.near_poor_factor * std.dibao"
LOW_INCOME = "(tier_dibao or tier_tekun or tier_near_poor)"

# Items whose decisive condition is not in the registry: screening does not propose them.
NOT_PROACTIVE = {"union_hardship", "veteran_hardship", "judicial_aid", "legal_aid", "women_two_cancers", "orphan",
                 "unsupported_child", "disaster_emergency", "disaster_transition", "disaster_winter",
                 "disaster_rebuild"}

# Items a resident may apply for online (掌上办): those decided on declared facts, and the one-off aids a
# family asks for from home. The county edits the flag per item.
ONLINE_ITEMS = frozenset({"dibao", "dibao_single", "elderly_allowance", "temp_small", "temp_expenditure",
                          "med_class4", "edu_high_school", "edu_college_entry", "job_search_subsidy", "legal_aid",
                          "disability_living", "disability_care", "rent_subsidy"})

DOCS_ID = ["身份证、户口簿", "信用承诺书", "家庭经济状况核对授权书"]

# Fields: code, name, category, department, kind, periodic, level, acceptance, proxy, tier,
# eligibility, benefit, extra (parameters, ceiling, cap, excludes, documents, reasons).
ITEMS: list[dict] = [
    # ---- 生活 (民政)
    dict(code="dibao", name="最低生活保障（低保）", category="living", department="civil_affairs", periodic=True,
         level="township", acceptance="trust_first", proxy=True, tier="dibao",
         eligibility=f"has_facts and per_capita_income < std.dibao and {ASSETS}",
         benefit=("(std.dibao - per_capita_income) * household_size + members_over_60 * std.topup_elderly"
                  " + disabled_members * std.topup_disabled + seriously_ill_members * std.topup_ill"),
         excludes=["near_poor", "rigid", "dibao_single"], documents=DOCS_ID + ["收入证明", "低保申请书"]),
    dict(code="dibao_single", name="单人保（低保边缘家庭重病重残人员单独纳入）", category="living",
         department="civil_affairs", periodic=True, level="township", acceptance="trust_first", proxy=True,
         tier="dibao",
         eligibility=(f"per_capita_income >= std.dibao and per_capita_income < {NEAR_POOR_LINE} and {ASSETS}"
                      " and (applicant_disability_grade in [1, 2] or applicant_seriously_ill)"),
         benefit="std.dibao + (std.topup_disabled if applicant_disability_grade in [1, 2] else std.topup_ill)",
         documents=DOCS_ID + ["残疾证或疾病诊断证明"]),
    dict(code="tekun", name="特困人员救助供养（分散供养）", category="living", department="civil_affairs",
         periodic=True, level="county", acceptance="check_first", tier="tekun",
         eligibility=("(applicant_age >= 60 or applicant_age < 16 or applicant_disability_grade in [1, 2, 3])"
                      " and (applicant_labour == 2 or applicant_age < 16) and applicant_able_supporters == 0"
                      f" and per_capita_income < std.dibao and {ASSETS}"),
         benefit=("std.tekun_factor * std.dibao + (std.care_full if applicant_adl_failed >= 4 else "
                  "(std.care_partial if applicant_adl_failed >= 1 else std.care_self))"),
         excludes=["dibao", "tekun_centralised", "orphan", "unsupported_child"],
         documents=DOCS_ID + ["生活自理能力评估表"]),
    dict(code="tekun_centralised", name="特困人员集中供养（县供养服务中心）", category="living",
         department="civil_affairs", kind="service", level="county", acceptance="check_first",
         eligibility=("(applicant_age >= 60 or applicant_disability_grade in [1, 2, 3]) and applicant_labour == 2"
                      " and applicant_able_supporters == 0 and per_capita_income < std.dibao and applicant_adl_failed >= 4"),
         documents=DOCS_ID + ["生活自理能力评估表", "集中供养意愿书"]),
    dict(code="near_poor", name="低保边缘家庭认定", category="living", department="civil_affairs", kind="service",
         level="township", acceptance="trust_first", proxy=True, tier="near_poor",
         eligibility=f"has_facts and per_capita_income >= std.dibao and per_capita_income < {NEAR_POOR_LINE} and {ASSETS}",
         documents=DOCS_ID),
    dict(code="rigid", name="刚性支出困难家庭认定", category="living", department="civil_affairs", kind="service",
         level="township", acceptance="trust_first", proxy=True, tier="rigid",
         eligibility=("has_facts and per_capita_income >= std.dibao and per_capita_income * 12 < std.disposable_income"
                      " and annual_rigid_expense > std.rigid_share * annual_income and "
                      "per_capita_financial_assets <= std.asset_months * std.dibao"),
         documents=DOCS_ID + ["医疗、教育等刚性支出票据"]),
    dict(code="elderly_allowance", name="高龄津贴（80周岁以上）", category="living", department="civil_affairs",
         periodic=True, level="township", acceptance="trust_first", proxy=True,
         eligibility="applicant_age >= 80", benefit="std.elderly_allowance", documents=["身份证、户口簿"]),
    dict(code="union_hardship", name="困难职工帮扶救助", category="living", department="trade_union",
         level="county", acceptance="check_first",
         eligibility=f"per_capita_income < {NEAR_POOR_LINE} and labour_members > 0",
         benefit="item.amount", parameters={"amount": "2000"}, documents=DOCS_ID + ["工会会员证明"]),
    dict(code="veteran_hardship", name="困难退役军人帮扶援助", category="living", department="veterans",
         level="county", acceptance="check_first", eligibility=f"per_capita_income < {NEAR_POOR_LINE}",
         benefit="min(item.amount, std.dibao * household_size)", parameters={"amount": "3000"},
         documents=DOCS_ID + ["退役证明"]),
    dict(code="monitoring", name="防返贫监测对象认定与帮扶", category="living", department="agriculture",
         kind="service", level="county", acceptance="check_first",
         eligibility="not is_urban and has_facts and annual_income < std.monitoring_line * household_size",
         documents=DOCS_ID),
    # ---- 医疗 (医保, 卫健, 红十字会, 慈善总会)
    dict(code="med_premium", name="医疗救助：参保资助", category="medical", department="medical_insurance",
         level="county", acceptance="trust_first", proxy=True,
         eligibility=LOW_INCOME, benefit="std.med_premium * household_size", documents=["身份证、户口簿"]),
    dict(code="med_class1", name="医疗救助：一类（特困人员、孤儿）", category="medical",
         department="medical_insurance", level="county", acceptance="trust_first",
         eligibility="tier_tekun and annual_medical_expense > 0",
         benefit="min(annual_medical_expense * std.med_share_1, std.med_cap)",
         excludes=["med_class2", "med_class3", "med_class4"], documents=DOCS_ID + ["医疗费用结算单"]),
    dict(code="med_class2", name="医疗救助：二类（低保对象）", category="medical", department="medical_insurance",
         level="county", acceptance="trust_first",
         eligibility="tier_dibao and not tier_tekun and annual_medical_expense > 0",
         benefit="min(annual_medical_expense * std.med_share_2, std.med_cap)",
         excludes=["med_class3", "med_class4"], documents=DOCS_ID + ["医疗费用结算单"]),
    dict(code="med_class3", name="医疗救助：三类（低保边缘、监测对象）", category="medical",
         department="medical_insurance", level="county", acceptance="trust_first",
         eligibility="tier_near_poor and annual_medical_expense > 0",
         benefit="min(annual_medical_expense * std.med_share_3, std.med_cap)",
         excludes=["med_class4"], documents=DOCS_ID + ["医疗费用结算单"]),
    dict(code="med_class4", name="医疗救助：四类（因病致贫重病患者）", category="medical",
         department="medical_insurance", level="county", acceptance="check_first",
         eligibility=("not tier_dibao and not tier_tekun and not tier_near_poor and seriously_ill_members > 0"
                      " and annual_medical_expense > std.med_threshold"
                      " and annual_medical_expense > std.rigid_share * annual_income"),
         benefit="min((annual_medical_expense - std.med_threshold) * std.med_share_4, std.med_cap)",
         documents=DOCS_ID + ["医疗费用结算单", "疾病诊断证明"]),
    dict(code="family_doctor", name="困难群众家庭医生签约服务", category="medical", department="health",
         kind="service", level="township", acceptance="trust_first", proxy=True,
         eligibility=f"{LOW_INCOME} or disabled_members > 0 or chronic_ill_members > 0 or seriously_ill_members > 0",
         documents=["身份证、户口簿"]),
    dict(code="red_cross_illness", name="红十字会大病救助", category="medical", department="red_cross",
         level="county", acceptance="check_first",
         eligibility=f"seriously_ill_members > 0 and annual_medical_expense > std.med_threshold and per_capita_income < {NEAR_POOR_LINE}",
         benefit="min(annual_medical_expense * item.share, item.cap)", parameters={"share": "0.10", "cap": "5000"},
         documents=DOCS_ID + ["医疗费用结算单"]),
    dict(code="charity_medical", name="慈善医疗救助", category="medical", department="charity",
         level="county", acceptance="check_first",
         eligibility="annual_medical_expense > std.med_threshold and annual_medical_expense > annual_income",
         benefit="min((annual_medical_expense - std.med_threshold) * item.share, item.cap)",
         parameters={"share": "0.20", "cap": "10000"}, documents=DOCS_ID + ["医疗费用结算单"]),
    dict(code="women_two_cancers", name="困难妇女“两癌”救助", category="medical", department="womens_federation",
         level="county", acceptance="check_first",
         eligibility=f"applicant_seriously_ill and per_capita_income < {NEAR_POOR_LINE}",
         benefit="item.amount", parameters={"amount": "10000"}, documents=DOCS_ID + ["病理诊断证明"]),
    # ---- 教育 (教育, 团县委, 慈善总会)
    dict(code="edu_preschool", name="学前教育资助", category="education", department="education",
         level="county", acceptance="trust_first", proxy=True,
         eligibility=f"{LOW_INCOME} and applicant_age >= 3 and applicant_age < 6", benefit="std.edu_preschool",
         documents=["身份证、户口簿", "在园证明"]),
    dict(code="edu_boarding", name="义务教育家庭经济困难寄宿生生活补助", category="education",
         department="education", level="county", acceptance="trust_first", proxy=True,
         eligibility=f"{LOW_INCOME} and applicant_student and applicant_age >= 6 and applicant_age < 15",
         benefit="std.edu_boarding", documents=["身份证、户口簿", "学籍证明"]),
    dict(code="edu_high_school", name="普通高中国家助学金", category="education", department="education",
         level="county", acceptance="trust_first", proxy=True,
         eligibility=f"{LOW_INCOME} and applicant_student and applicant_age >= 15 and applicant_age < 19",
         benefit="std.edu_high_school", documents=["身份证、户口簿", "学籍证明"]),
    dict(code="edu_college_entry", name="大学新生入学资助", category="education", department="education",
         level="county", acceptance="trust_first",
         eligibility=f"{LOW_INCOME} and applicant_student and applicant_age >= 17",
         benefit="std.edu_college_entry", documents=["身份证、户口簿", "录取通知书"]),
    dict(code="youth_hope", name="希望工程圆梦助学", category="education", department="youth_league",
         level="county", acceptance="check_first",
         eligibility=f"applicant_student and applicant_age >= 17 and per_capita_income < {NEAR_POOR_LINE}",
         benefit="item.amount", parameters={"amount": "3000"}, excludes=["charity_study"],
         documents=["身份证、户口簿", "录取通知书"]),
    dict(code="charity_study", name="慈善助学", category="education", department="charity",
         level="county", acceptance="check_first",
         eligibility=f"students > 0 and per_capita_income < {NEAR_POOR_LINE}",
         benefit="min(item.per_student * students, item.cap)", parameters={"per_student": "1000", "cap": "3000"},
         documents=["学籍证明"]),
    # ---- 住房 (住建)
    dict(code="house_renovation", name="农村危房改造", category="housing", department="housing",
         level="county", acceptance="check_first",
         eligibility=f"not is_urban and housing_code in [1, 2] and {LOW_INCOME}",
         benefit="std.renovation_d if housing_code == 2 else std.renovation_c", household_ceiling="40000",
         documents=DOCS_ID + ["房屋安全鉴定报告"]),
    dict(code="public_rental", name="公共租赁住房实物配租", category="housing", department="housing",
         kind="service", level="county", acceptance="check_first",
         eligibility="is_urban and housing_code == 3 and (tier_dibao or tier_tekun)",
         excludes=["rent_subsidy"], documents=DOCS_ID + ["无房证明"]),
    dict(code="rent_subsidy", name="住房租赁补贴", category="housing", department="housing", periodic=True,
         level="county", acceptance="trust_first",
         eligibility=f"is_urban and housing_code == 3 and {LOW_INCOME}", benefit="std.rent_subsidy * household_size",
         documents=DOCS_ID + ["租赁合同"]),
    # ---- 就业 (人社)
    dict(code="public_welfare_job", name="公益性岗位安置", category="employment", department="hr_social_security",
         kind="service", level="township", acceptance="trust_first", proxy=True,
         eligibility="unemployed_able_members > 0 and (tier_dibao or tier_near_poor)", documents=DOCS_ID),
    dict(code="job_training", name="就业技能培训补贴", category="employment", department="hr_social_security",
         level="county", acceptance="trust_first",
         eligibility=f"unemployed_able_members > 0 and {LOW_INCOME}",
         benefit="std.training_subsidy * unemployed_able_members", documents=["身份证", "培训合格证书"]),
    dict(code="job_search_subsidy", name="一次性求职创业补贴", category="employment",
         department="hr_social_security", level="county", acceptance="trust_first",
         eligibility="unemployed_able_members > 0 and tier_dibao", benefit="std.job_search_subsidy",
         documents=["身份证", "求职登记"]),
    # ---- 临时 (民政)
    dict(code="temp_emergency", name="临时救助（急难型）", category="temporary", department="civil_affairs",
         level="county", acceptance="trust_first", proxy=True,
         # DOMAIN.md: no income or asset test; graded by the event (grades and losses are standards).
         eligibility="has_event and event_days <= std.emergency_window_days",
         benefit=("std.dibao * (std.emergency_multiple_3 if event_house == 2 or event_deaths > 0"
                  " or event_loss > std.emergency_loss_3 else (std.emergency_multiple_2 if event_house == 1"
                  " or event_injured > 0 or event_loss > std.emergency_loss_2 else std.emergency_multiple_1))"),
         excludes=["temp_small"], documents=DOCS_ID + ["急难情况说明"]),
    dict(code="temp_expenditure", name="临时救助（支出型）", category="temporary", department="civil_affairs",
         level="county", acceptance="check_first",
         # The near-poor income test; pays the rigid spending above the local share of income, up to the cap.
         eligibility=(f"per_capita_income < {NEAR_POOR_LINE}"
                      " and annual_rigid_expense > std.rigid_share * annual_income"),
         benefit=("min(annual_rigid_expense - std.rigid_share * annual_income,"
                  " std.temporary_multiple * std.dibao)"),
         documents=DOCS_ID + ["支出票据"]),
    dict(code="temp_small", name="小额临时救助（乡镇先行救助）", category="temporary", department="civil_affairs",
         level="township", acceptance="trust_first", proxy=True,
         eligibility=f"per_capita_income < {NEAR_POOR_LINE} and (seriously_ill_members > 0 or housing_code == 3)",
         benefit="std.dibao * 2", household_ceiling="2000", cap_at_ceiling=True,
         documents=["身份证", "急难情况说明"]),
    # ---- 受灾人员 (应急管理)
    dict(code="disaster_emergency", name="受灾人员应急救助", category="disaster", department="emergency",
         level="township", acceptance="trust_first",
         eligibility="housing_code == 3", benefit="std.disaster_emergency * household_size",
         documents=["灾情核查记录"]),
    dict(code="disaster_transition", name="受灾人员过渡期生活救助", category="disaster", department="emergency",
         periodic=True, level="county", acceptance="check_first",
         eligibility="housing_code == 3", benefit="std.disaster_transition * household_size",
         documents=["灾情核查记录", "倒房证明"]),
    dict(code="disaster_winter", name="冬春临时生活困难救助", category="disaster", department="emergency",
         level="county", acceptance="trust_first",
         eligibility=f"per_capita_income < {NEAR_POOR_LINE} and housing_code >= 1",
         benefit="std.disaster_winter * household_size", documents=["灾情核查记录"]),
    dict(code="disaster_rebuild", name="倒损住房恢复重建补助", category="disaster", department="emergency",
         level="county", acceptance="check_first",
         eligibility="housing_code in [2, 3] and per_capita_income * 12 < std.disposable_income",
         benefit="std.disaster_rebuild", excludes=["house_renovation"],
         documents=["灾情核查记录", "房屋安全鉴定报告"]),
    # ---- 残疾人 (残联)
    dict(code="disability_living", name="困难残疾人生活补贴", category="disability",
         department="disabled_federation", periodic=True, level="township", acceptance="trust_first", proxy=True,
         eligibility=f"applicant_disability_grade >= 1 and per_capita_income < {NEAR_POOR_LINE}",
         benefit="std.disability_living", documents=["身份证", "残疾人证"]),
    dict(code="disability_care", name="重度残疾人护理补贴", category="disability",
         department="disabled_federation", periodic=True, level="township", acceptance="trust_first", proxy=True,
         eligibility="applicant_disability_grade in [1, 2]", benefit="std.disability_care",
         documents=["身份证", "残疾人证"]),
    # ---- 困境儿童 (民政)
    dict(code="orphan", name="孤儿基本生活保障", category="children", department="civil_affairs", periodic=True,
         level="county", acceptance="check_first",
         eligibility="(applicant_age < 18 or (applicant_student and applicant_age < 22)) and labour_members == 0",
         benefit="std.orphan_allowance", excludes=["unsupported_child"],
         documents=["身份证、户口簿", "父母死亡或宣告失踪证明"]),
    dict(code="unsupported_child", name="事实无人抚养儿童基本生活补贴", category="children",
         department="civil_affairs", periodic=True, level="county", acceptance="check_first",
         eligibility=("(applicant_age < 18 or (applicant_student and applicant_age < 22)) and labour_members == 0"
                      " and per_capita_income < std.dibao"),
         benefit="std.unsupported_child_allowance",
         documents=["身份证、户口簿", "父母重残、重病、服刑或失联证明"]),
    # ---- 司法 (法院, 司法局)
    dict(code="judicial_aid", name="国家司法救助", category="judicial", department="court", level="county",
         acceptance="check_first", eligibility=f"per_capita_income < {NEAR_POOR_LINE}",
         benefit="min(std.judicial_cap, 6 * std.dibao * household_size)", documents=DOCS_ID + ["案件材料"]),
    dict(code="legal_aid", name="法律援助", category="judicial", department="justice", kind="service",
         level="township", acceptance="trust_first", proxy=True,
         eligibility=f"per_capita_income < {NEAR_POOR_LINE} or {LOW_INCOME}", documents=["身份证", "案件材料"]),
]


def _standard_rows(county_code: str, years):
    for year in years:
        for name, (label, unit, urban, rural) in STANDARDS.items():
            for area, value in (("urban", urban), ("rural", rural)):
                yield dict(year=year, county_code=county_code, area=area, name=name, label=label, unit=unit,
                           amount=Decimal(value))


@transaction.atomic
def ensure_demo_catalogue(*, county_code: str = "371424", years=None, today: dt.date | None = None) -> int:
    """Categories, standards (this and last year) and the demo items; returns the number of items created."""
    from dajiuzhu.accounts.departments import ensure_departments
    from dajiuzhu.core.audit import audit_record

    from .models import AssistanceItem, Category, Standard
    from .services import apply_item_data, new_rule_version

    ensure_departments()
    for order, (code, name) in enumerate(CATEGORIES, start=1):
        Category.objects.update_or_create(code=code, defaults={"name": name, "order": order})
    today = today or timezone.localdate()
    years = list(years or (today.year - 1, today.year))
    existing = set(Standard.objects.filter(county_code=county_code, year__in=years)
                   .values_list("year", "area", "name"))
    fresh = [Standard(**row) for row in _standard_rows(county_code, years)
             if (row["year"], row["area"], row["name"]) not in existing]
    if fresh:
        Standard.objects.bulk_create(fresh)
        audit_record(actor=None, action="programs.standard.seed", object_type="programs.standard",
                     region_code=county_code.ljust(12, "0"), new={"county": county_code, "years": years,
                                                                   "count": len(fresh)})
    have = set(AssistanceItem.objects.values_list("code", flat=True))
    fresh_items: list[tuple[AssistanceItem, dict]] = []
    for order, spec in enumerate(ITEMS, start=1):
        if spec["code"] in have:
            continue
        data = {
            "name": spec["name"], "category": spec["category"], "department": spec["department"],
            "kind": spec.get("kind", "material"), "periodic": spec.get("periodic", False),
            "approval_level": spec.get("level", "county"), "acceptance": spec.get("acceptance", "check_first"),
            "village_proxy": spec.get("proxy", False),
            "online_application": spec["code"] in ONLINE_ITEMS, "documents": spec.get("documents", []),
            "eligibility": spec["eligibility"], "benefit": spec.get("benefit", ""),
            "parameters": spec.get("parameters", {}), "household_ceiling": spec.get("household_ceiling"),
            "cap_at_ceiling": spec.get("cap_at_ceiling", False), "tier": spec.get("tier", ""), "order": order,
            "proactive": spec["code"] not in NOT_PROACTIVE,
            "reason_eligible": spec.get("reason_eligible", ""), "reason_ineligible": spec.get("reason_ineligible", ""),
        }
        item = AssistanceItem(code=spec["code"])
        apply_item_data(item, data)
        item.save()
        fresh_items.append((item, spec))
    if not fresh_items:
        return 0
    by_code = {i.code: i for i in AssistanceItem.objects.all()}
    for item, spec in fresh_items:
        others = [by_code[c] for c in spec.get("excludes", []) if c in by_code]
        if others:
            item.excludes.add(*others)
    for item, _spec in fresh_items:
        version = new_rule_version(item=item, actor=None, note="demo catalogue")
        audit_record(actor=None, action="programs.item.create", obj=item,
                     new={**version.snapshot, "version": version.number})
    return len(fresh_items)
