"""Mark expired dishonesty records (run daily from cron or Celery beat)."""

from django.core.management.base import BaseCommand

from dajiuzhu.core import context
from dajiuzhu.credit.services import dishonesty_records_expire


class Command(BaseCommand):
    help = "Mark dishonesty records whose expiry date has passed as expired."

    def handle(self, *args, **options):
        with context.source("command"):
            count = dishonesty_records_expire()
        self.stdout.write(f"expired: {count}")
