"""Write the delivery guide generated from the data types (docs/department-data.md)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from dajiuzhu.checks.docs import department_data_markdown


class Command(BaseCommand):
    help = "Write docs/department-data.md from the data types of the checks app."

    def add_arguments(self, parser):
        parser.add_argument("--print", action="store_true", dest="print_only")

    def handle(self, *args, **options):
        text = department_data_markdown()
        if options["print_only"]:
            self.stdout.write(text)
            return
        path = Path(settings.BASE_DIR) / "docs" / "department-data.md"
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {path}")
