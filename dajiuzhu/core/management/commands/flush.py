"""``manage.py flush``, with the audit table's guard lifted for the flush (``core.audit_guard``).

Emptying every table is the one legitimate mass deletion of audit events: a fresh database for a test
or a rehearsal. Django's test framework calls this command after each transactional test. On
PostgreSQL it needs the owner of the audit table, as the guard intends."""

from django.core.management.commands.flush import Command as FlushCommand

from dajiuzhu.core.audit_guard import audit_maintenance


class Command(FlushCommand):
    def handle(self, **options):
        with audit_maintenance(options["database"]):
            return super().handle(**options)
