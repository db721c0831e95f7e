"""``manage.py issue_token USERNAME NAME``: a bearer token for a department's system or a script.

The token is printed once; only its SHA-256 hash is stored (``accounts.ApiToken``).
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dajiuzhu.core import context
from dajiuzhu.core.audit import audit_record


class Command(BaseCommand):
    help = "Issue an API bearer token for a user and print it once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("name", help="what the token is for, e.g. 'civil affairs nightly sync'")

    def handle(self, *args, username, name, **options):
        from dajiuzhu.accounts.models import ApiToken, User

        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        with context.source("command"), transaction.atomic():
            token, key = ApiToken.issue(user=user, name=name)
            audit_record(actor=user, action="accounts.token_issue", obj=token, region_code=user.region_id or "",
                         new={"name": name, "prefix": token.key_prefix})
        self.stdout.write(key)
        self.stderr.write(f"Token {token.key_prefix}… issued to {username}; it is shown only this once.")
