from django.conf import settings
from django.core.management.base import BaseCommand

from dajiuzhu.accounts.demo import DEMO_ACCOUNTS, ensure_demo_accounts
from dajiuzhu.accounts.models import User


class Command(BaseCommand):
    help = "Create the demo accounts (one per role) if missing and print them."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="where the platform is served")

    def handle(self, *args, url="http://127.0.0.1:8000/", **options):
        ensure_demo_accounts()
        self.stdout.write(f"\nDemo accounts (password: {settings.DEMO_PASSWORD})\n")
        self.stdout.write(f"  {'username':<20} {'role':<26} region")
        for username, *_ in DEMO_ACCOUNTS:
            user = User.objects.select_related("region").get(username=username)
            self.stdout.write(f"  {username:<20} {user.get_role_display()!s:<26} {user.region.name}")
        residents = User.objects.filter(role="resident").order_by("username")[:3]
        for user in residents:
            self.stdout.write(f"  {user.username:<20} {user.get_role_display()!s:<26} {user.region.name}")
        self.stdout.write(f"\nOpen {url} and log in.\n")
