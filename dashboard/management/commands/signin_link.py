"""`python manage.py signin_link [BASE_URL]`: print a fresh one-time sign-in link for the teacher."""
from django.core.management.base import BaseCommand

from dashboard.signin import signin_url


class Command(BaseCommand):
    help = "Print a one-time sign-in link for the local teacher (like the one `serve` prints)."

    def add_arguments(self, parser):
        parser.add_argument("base_url", nargs="?", default="http://127.0.0.1:8000")

    def handle(self, *args, base_url: str, **options):
        self.stdout.write(signin_url(base_url))
