"""Migrates the database and creates the test users with FIXED token keys (tests/django_support
knows them):

- sandra  active    aec8e0e9a0b3d8637b8926a5adffb44e487330ec
- omar    active    0b1d2c3e4f5a69788796a5b4c3d2e1f0a1b2c3d4
- ivan    inactive  1c0ffee0d15ab1ed0000000000000000000000aa
"""
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

USERS = [
    ("sandra", True, "aec8e0e9a0b3d8637b8926a5adffb44e487330ec"),
    ("omar", True, "0b1d2c3e4f5a69788796a5b4c3d2e1f0a1b2c3d4"),
    ("ivan", False, "1c0ffee0d15ab1ed0000000000000000000000aa"),
]


class Command(BaseCommand):
    help = "Migrate, then create the wsmon test users and their tokens."

    def handle(self, *args, **options):
        call_command("migrate", verbosity=0)
        User = get_user_model()
        for name, active, key in USERS:
            user, _ = User.objects.update_or_create(username=name, defaults={"is_active": active})
            Token.objects.filter(user=user).delete()
            Token.objects.create(user=user, key=key)
        self.stdout.write(f"seeded {len(USERS)} users")
        call_command("setup_accounts")
