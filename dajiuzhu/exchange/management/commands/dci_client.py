"""Register, suspend, resume or list clients of the open registry API (docs/exchange.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dajiuzhu.accounts.models import Department, User
from dajiuzhu.core.errors import DomainError

from ...models import Client
from ...services import client_register, client_resume, client_secret_rotate, client_suspend


class Command(BaseCommand):
    help = "Manage clients of the open registry API: register, suspend, resume, rotate-secret, list."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["register", "suspend", "resume", "rotate-secret", "list"])
        parser.add_argument("--as", dest="admin", help="username of the county administrator acting")
        parser.add_argument("--client-id", default="")
        parser.add_argument("--name", default="")
        parser.add_argument("--department", default="")
        parser.add_argument("--region", default="", help="jurisdiction: a region code prefix, e.g. 371424")
        parser.add_argument("--purpose", default="")
        parser.add_argument("--scopes", default="registry.search")
        parser.add_argument("--fields", default="name,roster")
        parser.add_argument("--public-key", default="", help="file with the client's signing public key (PEM)")
        parser.add_argument("--require-signature", action="store_true")
        parser.add_argument("--rate-limit", type=int, default=600)
        parser.add_argument("--reason", default="")

    def handle(self, *args, **o):
        if o["action"] == "list":
            for c in Client.objects.select_related("department").order_by("client_id"):
                state = "active" if c.is_active else f"suspended ({c.suspended_reason})"
                self.stdout.write(f"{c.client_id}\t{c.name}\t{c.region_prefix}\t{','.join(c.fields)}\t{state}")
            return
        admin = User.objects.filter(username=o["admin"]).first() if o["admin"] else None
        if admin is None:
            raise CommandError("--as USERNAME: a county administrator of the client's region")
        try:
            if o["action"] == "register":
                department = Department.objects.filter(code=o["department"]).first()
                if department is None:
                    raise CommandError(f"unknown department {o['department']!r}")
                key = open(o["public_key"]).read() if o["public_key"] else ""
                client, secret = client_register(
                    actor=admin, name=o["name"], department=department, region_prefix=o["region"],
                    purpose=o["purpose"], scopes=o["scopes"].split(","), fields=[f for f in o["fields"].split(",") if f],
                    public_key=key, require_signature=o["require_signature"], rate_limit=o["rate_limit"],
                    client_id=o["client_id"])
                self.stdout.write(f"client_id: {client.client_id}\nclient_secret: {secret}\n"
                                  "(the secret is shown once; it is stored hashed)")
                return
            client = Client.objects.filter(client_id=o["client_id"]).first()
            if client is None:
                raise CommandError(f"unknown client {o['client_id']!r}")
            if o["action"] == "suspend":
                client_suspend(actor=admin, client=client, reason=o["reason"])
                self.stdout.write(f"{client.client_id} suspended")
            elif o["action"] == "resume":
                client_resume(actor=admin, client=client)
                self.stdout.write(f"{client.client_id} active")
            else:
                self.stdout.write(f"client_secret: {client_secret_rotate(actor=admin, client=client)}")
        except DomainError as exc:
            raise CommandError(exc.message) from None
