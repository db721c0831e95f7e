from django.core.management.base import BaseCommand, CommandError

from dajiuzhu.core.audit_checkpoint import checkpoint_path, checkpoint_write


class Command(BaseCommand):
    help = ("Sign the audit chain's current head and append it to the checkpoint file (the beat job does this "
            "every 15 minutes). --rebase REASON records a new starting point after a database restore or a "
            "change of DAJIUZHU_AUDIT_KEY: earlier checkpoints are no longer checked.")

    def add_arguments(self, parser):
        parser.add_argument("--rebase", metavar="REASON", default="",
                            help="why the chain starts again from its current head (e.g. 'restored the backup of ...')")

    def handle(self, *args, **options):
        if options["rebase"]:
            if len(options["rebase"].strip()) < 10:
                raise CommandError("give the reason of the rebase in a sentence (at least 10 characters)")
            written = checkpoint_write(reason=options["rebase"].strip(), kind="rebase")
        else:
            written = checkpoint_write(reason="command", force=True)
        self.stdout.write(f"{written.kind} written to {checkpoint_path()}: event #{written.event_id}, "
                          f"{written.count} events, head {written.hash[:16]}…")
