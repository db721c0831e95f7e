"""Demo data of the portal: the demo residents get known mobile numbers (to sign in by code), and the demo
village service room has one proxied application waiting for 临邑镇's window.

Sign in at /m/ with the ID number the command ``demo_accounts`` prints for ``resident_zhang`` and the phone
below; with the console SMS backend the code appears in the server's log.
"""

from __future__ import annotations

import io

from django.db import transaction

from dajiuzhu.core.demo import DemoContext

# Resident demo account -> the mobile phone recorded for the person it is linked to.
RESIDENT_PHONES = {"resident_zhang": "13800000001", "resident_xinglong": "13800000002"}
PROXY_PHONE = "13800000003"


def _set_phone(person, phone: str) -> None:
    from dajiuzhu.core import crypto
    from dajiuzhu.core.ids import mask_phone

    person.phone, person.phone_hash, person.phone_masked = phone, crypto.blind_index(phone), mask_phone(phone)
    person.save(update_fields=["phone", "phone_hash", "phone_masked"])


def _signature() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (600, 240), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(40, 160), (120, 80), (200, 170), (300, 70), (420, 160), (540, 90)], fill=(17, 17, 17, 255), width=5)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@transaction.atomic
def seed(ctx: DemoContext) -> None:
    from dajiuzhu.accounts.models import User
    from dajiuzhu.registry.models import Household, Person

    from .models import ProxyApplication
    from .services import proxy_submit

    for username, phone in RESIDENT_PHONES.items():
        user = User.objects.filter(username=username, role="resident").first()
        person = Person.objects.filter(id_hash=user.person_id_hash).first() if user else None
        if person is None:
            continue
        _set_phone(person, phone)
        ctx.log(f"portal: {username} signs in at /m/ with phone {phone} (the code is in the server log)")
    worker = User.objects.filter(username="village_worker").first()
    if worker is None or ProxyApplication.objects.exists():
        return
    taken = set(User.objects.filter(role="resident").values_list("person_id_hash", flat=True))
    household = (Household.objects.filter(region_code=worker.region_id, head__isnull=False,
                                          head__deceased_on__isnull=True)
                 .exclude(head__id_hash__in=taken).exclude(case_items__status__in=("pending", "approved"))
                 .select_related("head").order_by("id").first())
    if household is None:
        return
    _set_phone(household.head, PROXY_PHONE)
    from dajiuzhu.registry.selectors import household_facts_on

    latest = household_facts_on(household=household, on=ctx.today)
    fields = ("monthly_wages", "monthly_business_income", "monthly_property_income", "monthly_transfer_income",
              "deposits", "securities", "commercial_insurance", "vehicles", "extra_houses", "annual_medical_expense",
              "annual_education_expense", "housing")
    facts = {f: str(getattr(latest, f)) for f in fields} if latest else {"monthly_wages": "600"}
    proxy = proxy_submit(actor=worker, id_number=household.head.id_number, item_code="dibao", facts=facts,
                         signature_png=_signature(), note="演示：村代办点代办")
    ctx.log(f"portal: a proxied application ({proxy.pk}) waits for 临邑镇's window at /m/township/")
