"""Print how to sign in to 掌上办 as a demo resident: the (synthetic) ID number and the phone on record."""

from django.core.management.base import BaseCommand

from dajiuzhu.portal.demo import RESIDENT_PHONES


class Command(BaseCommand):
    help = "Print the demo residents' (synthetic) ID numbers and phones for signing in to 掌上办 at /m/."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="where the platform is served")

    def handle(self, *args, url="http://127.0.0.1:8000/", **options):
        from dajiuzhu.accounts.models import User
        from dajiuzhu.registry.models import Person

        self.stdout.write(f"\n掌上办 (residents, phone first): {url.rstrip('/')}/m/ — sign in with the ID number and phone;")
        self.stdout.write("the one-time code is written to this server's log (SMS console backend).\n")
        for username in RESIDENT_PHONES:
            user = User.objects.filter(username=username, role="resident").first()
            person = Person.objects.filter(id_hash=user.person_id_hash).first() if user else None
            if person is None or not person.phone:
                continue
            self.stdout.write(f"  {username:<20} {person.name}  ID {person.id_number}  phone {person.phone}")
        self.stdout.write("  village_worker       proxies (代办) at /m/village/; linyi_handler accepts at /m/township/\n")
