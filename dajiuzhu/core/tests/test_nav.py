import pytest

from dajiuzhu.core.nav import SECTIONS, nav_for, nav_groups
from dajiuzhu.core.testing import LINYI_COUNTY, make_user

pytestmark = pytest.mark.django_db


def test_menu_entries_are_grouped_into_sections_in_a_fixed_order():
    admin = make_user("county_admin", LINYI_COUNTY)
    items = nav_for(admin)
    groups = nav_groups(items)
    keys = [group["key"] for group in groups]
    assert keys == [key for key in SECTIONS if key in keys]
    assert {"registry", "applications", "dashboards"} <= set(keys)
    assert sum(len(group["items"]) for group in groups) == len(items)


def test_a_department_user_gets_no_registry_section():
    dept = make_user("department", LINYI_COUNTY)
    keys = [group["key"] for group in nav_groups(nav_for(dept))]
    assert "registry" not in keys


def test_anonymous_gets_no_menu():
    from django.contrib.auth.models import AnonymousUser

    assert nav_for(AnonymousUser()) == [] and nav_groups([]) == []
