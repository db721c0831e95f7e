"""Production settings: refuse to start without secrets; with them, the security settings are on."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.conf import settings

# Random-looking keys of the accepted strength (core/keys.py refuses short, example and low-variety keys).
SECRET = "Vq3xN8rT2mL9pK4wZ7yB1cF6hJ0dS5gA-secret-Qe8uR3tY"
FIELD = "pA7sD2fG9hJ4kL1zX8cV5bN3mQ6wE0rT-field-Yu7iO2pL"
AUDIT = "Lm4nB8vC1xZ6aS9dF3gH7jK2qW5eR0tY-audit-Ui8oP3aS"
BASE = Path(settings.BASE_DIR)
PRINT_SETTINGS = """
import json
from django.conf import settings
keys = ["DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_HTTPONLY", "SECURE_CONTENT_TYPE_NOSNIFF", "X_FRAME_OPTIONS", "PASSWORD_HASHERS",
        "ALLOWED_HOSTS", "SECURE_PROXY_SSL_HEADER", "JOBS_BACKEND", "SESSION_EXPIRE_AT_BROWSER_CLOSE"]
print(json.dumps({key: getattr(settings, key) for key in keys}))
"""


def _env(**extra) -> dict:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "DAJIUZHU_", "DATABASE_", "PYTEST"))}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DAJIUZHU_VAR_DIR": str(Path(tempfile.gettempdir()) / "dajiuzhu-prodcheck")})
    env.update(extra)
    return env


def _run(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=BASE, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_production_refuses_to_start_without_a_secret_key():
    result = _run("import django; django.setup()", _env(DJANGO_ENV="production", DAJIUZHU_FIELD_KEY=FIELD, DAJIUZHU_AUDIT_KEY=AUDIT))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_a_field_key():
    result = _run("import django; django.setup()", _env(DJANGO_ENV="production", DJANGO_SECRET_KEY=SECRET, DAJIUZHU_AUDIT_KEY=AUDIT))
    assert result.returncode != 0
    assert "DAJIUZHU_FIELD_KEY must be set" in result.stderr


def test_production_with_keys_turns_the_security_settings_on():
    env = _env(DJANGO_ENV="production", DJANGO_SECRET_KEY=SECRET, DAJIUZHU_FIELD_KEY=FIELD, DAJIUZHU_AUDIT_KEY=AUDIT,
               DJANGO_ALLOWED_HOSTS="dajiuzhu.example.org")
    result = _run("import django; django.setup()\n" + PRINT_SETTINGS, env)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    assert values["SECURE_SSL_REDIRECT"] is True and values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] and values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert "MD5" not in values["PASSWORD_HASHERS"][0] and "Scrypt" in values["PASSWORD_HASHERS"][0]
    assert values["ALLOWED_HOSTS"] == ["dajiuzhu.example.org"]
    assert values["JOBS_BACKEND"] == "celery"
    assert values["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True


def test_development_settings_run_without_any_keys():
    result = _run("import django; django.setup()\n" + PRINT_SETTINGS, _env())
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["SESSION_COOKIE_SECURE"] is False


def _production(**keys) -> dict:
    values = {"DJANGO_SECRET_KEY": SECRET, "DAJIUZHU_FIELD_KEY": FIELD, "DAJIUZHU_AUDIT_KEY": AUDIT,
              "DJANGO_ALLOWED_HOSTS": "dajiuzhu.example.org"}
    values.update(keys)
    return _env(DJANGO_ENV="production", **{k: v for k, v in values.items() if v is not None})


@pytest.mark.parametrize(("variable", "value", "reason"), [
    ("DAJIUZHU_FIELD_KEY", "change-me", "known example or development value"),
    ("DAJIUZHU_FIELD_KEY", "dev-insecure-field-key", "known example or development value"),
    ("DAJIUZHU_FIELD_KEY", "Xy7-short-but-random", "20 characters long; at least 32"),
    ("DAJIUZHU_FIELD_KEY", "k" * 40, "only 1 distinct characters"),
    ("DJANGO_SECRET_KEY", "change-me", "known example or development value"),
    ("DAJIUZHU_AUDIT_KEY", "1234567890" * 4, "only 10 distinct characters"),
    ("DAJIUZHU_AUDIT_KEY", None, "DAJIUZHU_AUDIT_KEY must be set"),
    ("DAJIUZHU_AUDIT_KEY", FIELD, "must differ from DJANGO_SECRET_KEY and DAJIUZHU_FIELD_KEY"),
])
def test_production_refuses_example_short_and_low_variety_keys(variable, value, reason):
    result = _run("import django; django.setup()", _production(**{variable: value}))
    assert result.returncode != 0
    assert reason in result.stderr
    if value:
        assert value not in result.stderr  # the refused key itself is never printed


def test_the_shipped_example_environment_is_refused_as_it_is():
    example = (BASE / "deploy" / "dajiuzhu.env.example").read_text(encoding="utf-8")
    values = dict(line.split("=", 1) for line in example.splitlines() if line and not line.startswith("#"))
    result = _run("import django; django.setup()", _env(**{k: v for k, v in values.items() if "DATABASE" not in k}))
    assert result.returncode != 0
    assert "is refused in production" in result.stderr


def test_seed_demo_is_refused_in_production():
    result = subprocess.run([sys.executable, "manage.py", "seed_demo", "--people", "10"], cwd=BASE, env=_production(),
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode != 0
    assert "seed_demo refuses to run in production" in result.stderr


@pytest.mark.django_db
def test_seed_demo_runs_in_production_only_with_the_demo_deployment_flag(capsys):
    from django.core.management import CommandError, call_command
    from django.test import override_settings

    from dajiuzhu.core.testing import make_household

    make_household()
    with override_settings(PRODUCTION=True):
        with pytest.raises(CommandError, match="--demo-deployment"):
            call_command("seed_demo", people=10, if_empty=True)
        call_command("seed_demo", people=10, if_empty=True, demo_deployment=True)
    assert "nothing to do" in capsys.readouterr().out


def test_a_weak_key_with_debug_off_outside_production_is_a_system_warning():
    from django.test import override_settings

    from dajiuzhu.core.checks import check_keys

    with override_settings(DEBUG=False, TESTING=False, PRODUCTION=False, FIELD_ENCRYPTION_KEY="change-me",
                           SECRET_KEY=SECRET, AUDIT_CHECKPOINT_KEY=AUDIT):
        found = check_keys()
    assert [w.id for w in found] == ["dajiuzhu.W001"]
    assert "DAJIUZHU_FIELD_KEY" in found[0].msg
    with override_settings(DEBUG=False, TESTING=False, PRODUCTION=False, FIELD_ENCRYPTION_KEY=FIELD,
                           SECRET_KEY=SECRET, AUDIT_CHECKPOINT_KEY=AUDIT):
        assert check_keys() == []
