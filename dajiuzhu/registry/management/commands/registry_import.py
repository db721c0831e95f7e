"""``manage.py registry_import FILE [--as USERNAME] [--workers N]``: import a file in the registry template.

Prints the counts and the path of the error report. Exit status 0 when the file was
processed (rejected rows included); non-zero only when the file itself cannot be read.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from dajiuzhu.core import context
from dajiuzhu.core.errors import DomainError
from dajiuzhu.registry.importing import DEFAULT_BATCH_ROWS, registry_import


class Command(BaseCommand):
    help = "Import a CSV/XLSX file in the registry template (社会救助对象信息登记表)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV (UTF-8 or GBK) or XLSX file in the registry template")
        parser.add_argument("--as", dest="username", default="",
                            help="import as this user (their jurisdiction applies); default: the system, no limit")
        parser.add_argument("--report", default="", help="where to write the error report (default: VAR_DIR/reports)")
        parser.add_argument("--batch", type=int, default=DEFAULT_BATCH_ROWS, help="rows per transaction")
        parser.add_argument("--workers", type=int, default=None,
                            help="processes that validate and merge at once (PostgreSQL; default: IMPORT_WORKERS, "
                                 "one per core up to four; 1: one process)")

    def handle(self, *args, file: str, username: str, report: str, batch: int, workers: int | None, **options):
        if workers is not None and workers < 1:
            raise CommandError("--workers must be 1 or more")
        actor = None
        if username:
            actor = get_user_model().objects.filter(username=username).first()
            if actor is None:
                raise CommandError(f"no user named {username!r}")

        def progress(done: int, total: int, counts) -> None:
            if options["verbosity"] >= 2:
                self.stderr.write(f"  {done}/{total} rows")

        try:
            with context.source("import"):
                result = registry_import(actor=actor, path=file, report_path=report or None, batch_rows=batch,
                                         progress=progress, workers=workers)
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file") from None
        except DomainError as exc:
            raise CommandError(f"{file}: {exc.message}") from None
        counts = result.counts
        out = self.stdout.write
        out(f"file: {file} ({result.source}), sha256 {result.digest}")
        out(f"households: {counts.households_created} created, {counts.households_updated} updated, "
            f"{counts.households_unchanged} unchanged, {counts.households_rejected} rejected")
        out(f"members: {counts.members_created} created, {counts.members_updated} updated, "
            f"{counts.members_unchanged} unchanged")
        out(f"rows: {counts.rows} read, {counts.rows_rejected} rejected")
        out(f"workers: {result.workers}, batches: {result.batches}, {result.seconds.get('total', 0):.1f} s")
        if result.unknown_columns:
            out(f"ignored columns: {', '.join(result.unknown_columns)}")
        out(f"error report: {result.report_path or 'none (no row was rejected)'}")
