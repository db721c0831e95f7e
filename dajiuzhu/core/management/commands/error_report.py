"""Write a sealed error report (``VAR_DIR/reports/*.enc``) as its CSV or XLSX to standard output.

For reports of the ``registry_import`` command (no job page to download them from):
``python manage.py error_report /srv/dajiuzhu/var/reports/registry-….csv.enc > errors.csv``.
Where the plaintext goes is then the operator's responsibility (the file holds ID numbers and names).
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from dajiuzhu.core.intake.report import report_content
from dajiuzhu.core.intake.sealed import SealedFileError


class Command(BaseCommand):
    help = "Write a sealed error report as CSV/XLSX to standard output."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path: str, **options):
        try:
            content, _kind = report_content(path)
            out = getattr(self.stdout, "_out", sys.stdout)
            binary = getattr(out, "buffer", None)
            for block in content:
                if binary is not None:
                    binary.write(block)
                else:
                    out.write(block.decode("utf-8"))
            if binary is not None:
                binary.flush()
        except (OSError, SealedFileError) as exc:
            raise CommandError(f"cannot read the report: {exc}") from exc
