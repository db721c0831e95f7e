"""Play the bank: write the return file of an exported batch, with some lines failed.

    python manage.py bank_return_file PB202611-371424-01 --fail 2 -o var/PB202611-return.csv

For the demo and for training; a real return file comes from the bank (layout: docs/payments.md).
"""

import random

from django.core.management.base import BaseCommand, CommandError

from dajiuzhu.results import bankfile
from dajiuzhu.results.models import BatchStatus, LineStatus, PaymentBatch


class Command(BaseCommand):
    help = "Write a bank return file for an exported payment batch (a bank simulator for the demo)."

    def add_arguments(self, parser):
        parser.add_argument("batch", help="batch number")
        parser.add_argument("--fail", type=int, default=2, help="how many lines the bank refuses")
        parser.add_argument("--encoding", default="gbk", choices=["gbk", "utf-8"])
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("-o", "--output", required=True, help="file to write")

    def handle(self, *args, batch, fail, encoding, seed, output, **options):
        found = PaymentBatch.objects.filter(number=batch).first()
        if found is None:
            raise CommandError(f"no batch {batch}")
        if found.status != BatchStatus.EXPORTED:
            raise CommandError(f"batch {batch} is {found.status}; export it to the bank first")
        lines = list(found.lines.filter(status=LineStatus.PENDING).select_related("payee").order_by("line_no"))
        reasons = ["账户已冻结", "户名与账号不符", "账户已销户", "卡片挂失"]
        chosen = random.Random(seed).sample(lines, min(fail, len(lines)))
        failures = {line.line_no: reasons[i % len(reasons)] for i, line in enumerate(chosen)}
        with open(output, "wb") as handle:
            handle.write(bankfile.write_return_file(found, lines, failures=failures, encoding=encoding))
        self.stdout.write(f"{output}: {len(lines)} lines, {len(failures)} failed ({', '.join(map(str, failures))})")
