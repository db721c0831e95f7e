"""Test set-up shared by every app.

The Dezhou regions are reference data: loaded once per test database, and again inside a
test if a transactional test before it flushed them.
"""

import itertools

import pytest


def _load_regions_if_missing() -> None:
    from dajiuzhu.regions.loaders import load_default
    from dajiuzhu.regions.models import Region

    if not Region.objects.filter(code="371424000000").exists():
        load_default()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        _load_regions_if_missing()


@pytest.fixture(autouse=True)
def _regions_present(request):
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not names & {"db", "transactional_db", "live_server"}:
        return
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(names & {"transactional_db", "live_server"})
    request.getfixturevalue("transactional_db" if transactional else "db")
    _load_regions_if_missing()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _audit_checkpoints_per_test(tmp_path_factory):
    """Each test signs its audit checkpoints into its own folder (created only when one is written): a
    database flushed between tests must not be judged against the checkpoints of an earlier test."""
    from django.test import override_settings

    folder = tmp_path_factory.getbasetemp() / "audit-checkpoints" / str(next(_checkpoint_folders))
    with override_settings(AUDIT_CHECKPOINT_DIR=folder):
        yield folder


_checkpoint_folders = itertools.count(1)


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run on-commit callbacks (jobs enqueue on commit) inside a normal test transaction."""
    return django_capture_on_commit_callbacks
