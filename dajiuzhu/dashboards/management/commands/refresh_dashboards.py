from django.core.management.base import BaseCommand

from dajiuzhu.core import context
from dajiuzhu.core.jobs import job_run
from dajiuzhu.core.models import Job


class Command(BaseCommand):
    help = "Recompute the pre-aggregated dashboard figures now (the job `dashboards.refresh`, run inline)."

    def handle(self, *args, **options):
        with context.source("command"):
            job = job_run(Job.objects.create(kind="dashboards.refresh").pk)
        if job.status != Job.Status.DONE:
            self.stderr.write(f"refresh failed: {job.message}")
            raise SystemExit(1)
        self.stdout.write(f"{job.result['figures']} figures in {job.result['seconds']} s "
                          f"(sources: {', '.join(job.result['sources'])})")
