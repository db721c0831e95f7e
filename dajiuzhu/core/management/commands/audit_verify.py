from django.core.management.base import BaseCommand, CommandError

from dajiuzhu.core.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exit non-zero naming the first broken link."

    def handle(self, *args, **options):
        report = audit_verify()
        if not report.ok:
            raise CommandError(f"audit chain broken at event #{report.broken_at}: {report.reason} "
                               f"({report.checked} events before it are intact)")
        self.stdout.write(f"audit chain intact: {report.checked} events")
