"""The security probe's objects of the exchange: a client limited to 兴隆镇 and a dead callback to it (see
dajiuzhu/api/tests/test_probe.py)."""

from __future__ import annotations

from dajiuzhu.core.testing import LINYI_COUNTY, make_user


def _exchange(world) -> None:
    from dajiuzhu.accounts.departments import ensure_departments
    from dajiuzhu.accounts.models import Department
    from dajiuzhu.exchange.models import Callback, CallbackStatus
    from dajiuzhu.exchange.services import client_register

    ensure_departments()
    admin = make_user("county_admin", LINYI_COUNTY, username="probe-exchange-admin")
    client, _secret = client_register(actor=admin, name="探针乙兴隆医保系统",
                                      department=Department.objects.get(code="medical_insurance"),
                                      region_prefix="371424105", purpose="探针乙的用途", scopes=["registry.search"],
                                      fields=["name"])
    callback = Callback.objects.create(client=client, action="notify", url="http://127.0.0.1:9/probe-xinglong",
                                       body={}, message_id="probe-xinglong-1", region_code="371424105276",
                                       status=CallbackStatus.DEAD, attempts=8, last_error="HTTP 503")
    world.ids.update({"exchange_client": client.pk, "exchange_callback": callback.pk})
    world.objects += [client, callback]
    world.markers += ["探针乙兴隆医保系统", "探针乙的用途", "probe-xinglong"]


PROBE_OBJECTS = {"exchange": _exchange}

PROBE_PARAMS = {"exchange:suspend:pk": "exchange_client", "exchange:resend:pk": "exchange_callback"}
