"""The Chinese catalogues of indices and alerts are complete, and pages speak Chinese."""

from pathlib import Path

import polib
import pytest
from django.urls import reverse
from django.utils import translation

from dajiuzhu.core.testing import LINYI_COUNTY, make_user

APPS = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("app", ["indices", "alerts"])
def test_catalogue_is_complete(app):
    po = polib.pofile(str(APPS / app / "locale/zh_Hans/LC_MESSAGES/django.po"))
    assert po.percent_translated() == 100
    assert not [e.msgid for e in po if "fuzzy" in e.flags]


@pytest.mark.django_db
def test_roster_page_in_chinese(client):
    client.force_login(make_user("county_admin", LINYI_COUNTY))
    with translation.override("zh-hans"):
        response = client.get(reverse("indices:roster"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "低收入人口名册" in response.content.decode()
