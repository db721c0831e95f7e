from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dajiuzhu.core.audit import audit_verify


class Command(BaseCommand):
    help = ("Verify the audit log's hash chain against the signed checkpoints; exit non-zero naming the first "
            "broken link, a cut tail, a rewritten chain or an altered checkpoint file.")

    def add_arguments(self, parser):
        parser.add_argument("--backup", action="store_true",
                            help="the database is a restored backup (restore drill): check the signed checkpoints up "
                                 "to its newest event, not the newer ones written after the backup")

    def handle(self, *args, **options):
        report = audit_verify(backup=options["backup"])
        checkpoint = report.checkpoint
        if checkpoint is not None:
            at = timezone.localtime(checkpoint.at).strftime("%Y-%m-%d %H:%M:%S %Z")
            self.stdout.write(f"latest signed checkpoint: {at}, event #{checkpoint.event_id}, "
                              f"{checkpoint.count} events, head {checkpoint.hash[:16]}…")
        else:
            self.stdout.write("no signed checkpoint yet (manage.py audit_checkpoint writes one)")
        if not report.ok:
            where = f" at event #{report.broken_at}" if report.broken_at is not None else ""
            raise CommandError(f"audit chain broken{where}: {report.reason} "
                               f"({report.checked} events before it are intact)")
        self.stdout.write(f"audit chain intact: {report.checked} events, "
                          f"{report.checkpoints_checked} signed checkpoints matched")
