"""``manage.py registry_import``: counts, report path, exit codes."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from dajiuzhu.core.testing import LINYI_TOWN, make_user
from dajiuzhu.registry.models import Person

from .test_import_pipeline import family, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings, tmp_path):
    """Assertions read the English source messages (the Chinese catalogue is checked elsewhere)."""
    settings.VAR_DIR = tmp_path / "var"  # uploads and error reports of tests stay out of the real var/
    with translation.override("en"):
        yield


def test_prints_the_counts_and_the_report_path_and_succeeds_with_rejected_rows(tmp_path, capsys):
    rows = family("1") + family("2", size=1)
    rows[3][2] = "371424"
    path = write_csv(tmp_path, rows)
    call_command("registry_import", str(path), "--report", str(tmp_path / "errors.csv"))
    out = capsys.readouterr().out
    assert "households: 1 created" in out and "1 rejected" in out
    assert "members: 3 created" in out and "rows: 4 read, 1 rejected" in out
    assert f"error report: {tmp_path / 'errors.csv'}" in out and (tmp_path / "errors.csv").exists()


def test_the_same_file_again_reports_unchanged(tmp_path, capsys):
    path = write_csv(tmp_path, family())
    call_command("registry_import", str(path))
    call_command("registry_import", str(path))
    out = capsys.readouterr().out.splitlines()
    assert "households: 0 created, 0 updated, 1 unchanged, 0 rejected" in out
    assert "error report: none (no row was rejected)" in out


def test_an_unreadable_file_fails_with_a_non_zero_exit(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match="empty"):
        call_command("registry_import", str(path))
    with pytest.raises(CommandError, match="no such file"):
        call_command("registry_import", str(tmp_path / "missing.csv"))


def test_exit_status_of_the_real_command(tmp_path):
    import subprocess
    import sys

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    process = subprocess.run([sys.executable, "manage.py", "registry_import", str(empty)], capture_output=True,
                             text=True, timeout=120)
    assert process.returncode != 0 and str(empty) in process.stderr


def test_as_a_user_applies_their_jurisdiction(tmp_path, capsys):
    make_user("township_handler", LINYI_TOWN, username="window")
    rows = family("1", region="371402002219")
    call_command("registry_import", str(write_csv(tmp_path, rows)), "--as", "window")
    assert "rows: 3 read, 3 rejected" in capsys.readouterr().out
    assert not Person.objects.exists()
    with pytest.raises(CommandError, match="no user"):
        call_command("registry_import", str(write_csv(tmp_path, rows)), "--as", "nobody")
