"""Production settings: refuse to start without secrets; with them, the security settings are on."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings

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
    result = _run("import django; django.setup()", _env(DJANGO_ENV="production", DAJIUZHU_FIELD_KEY="k" * 40))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_a_field_key():
    result = _run("import django; django.setup()", _env(DJANGO_ENV="production", DJANGO_SECRET_KEY="s" * 60))
    assert result.returncode != 0
    assert "DAJIUZHU_FIELD_KEY must be set" in result.stderr


def test_production_with_keys_turns_the_security_settings_on():
    env = _env(DJANGO_ENV="production", DJANGO_SECRET_KEY="s" * 60, DAJIUZHU_FIELD_KEY="k" * 40,
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
