"""Logging in, four ways (wsmon's `[profiles.NAME.login]` kinds):

- POST /api-token-auth/      DRF obtain_auth_token: {"token"}
- POST /api/jwt/             simplejwt TokenObtainPairView: {"access", "refresh"}
                             (access tokens live 15 s, see settings.SIMPLE_JWT)
- POST /api/jwt/refresh/     simplejwt TokenRefreshView: {"access"}
- POST /o/token/             django-oauth-toolkit TokenView (client credentials;
                             the application is made by setup_accounts)
- GET/POST /accounts/login/  Django's LoginView (CSRF, sessionid cookie); its
                             form says "This account is inactive." for an
                             inactive user with the right password, as sites
                             using AllowAllUsersModelBackend do (Django's
                             default backend gives the wrong-password answer)."""
from django.contrib.auth.backends import AllowAllUsersModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError


class InactiveAwareForm(AuthenticationForm):
    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username and password:
            user = AllowAllUsersModelBackend().authenticate(self.request, username=username, password=password)
            if user is not None and not user.is_active:
                raise ValidationError(self.error_messages["inactive"], code="inactive")
        return super().clean()


class Login(LoginView):
    authentication_form = InactiveAwareForm
    template_name = "registration/login.html"
