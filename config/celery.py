"""Celery application: `celery -A config worker` runs background jobs in production."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
app = Celery("dajiuzhu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
