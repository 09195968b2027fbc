"""Passwords for the test users and the OAuth2 application (run by
notifications' setup_test_db; tests/django_support knows these values):

- sandra / sandra-password-0001, omar / omar-password-0001,
  ivan / ivan-password-0001 (ivan is inactive)
- OAuth2 client credentials: client_id wsmon-ci, secret
  wsmon-client-secret-0123456789, acting for omar"""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

CLIENT_ID = "wsmon-ci"
CLIENT_SECRET = "wsmon-client-secret-0123456789"


class Command(BaseCommand):
    help = "Set the test users' passwords and create the OAuth2 application."

    def handle(self, *args, **options):
        from oauth2_provider.models import Application

        User = get_user_model()
        for user in User.objects.filter(username__in=["sandra", "omar", "ivan"]):
            user.set_password(f"{user.username}-password-0001")
            user.save()
        Application.objects.filter(client_id=CLIENT_ID).delete()
        Application.objects.create(
            name="wsmon CI",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            user=User.objects.get(username="omar"),
        )
        self.stdout.write("passwords set, OAuth2 application created")
