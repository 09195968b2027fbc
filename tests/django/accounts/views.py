"""Logging in, four ways (wsmon's `[profiles.NAME.login]` kinds):

- POST /api-token-auth/      DRF obtain_auth_token: {"token"}
- POST /api/jwt/             simplejwt TokenObtainPairView: {"access", "refresh"}
                             (access tokens live 15 s, see settings.SIMPLE_JWT)
- POST /api/jwt/refresh/     simplejwt TokenRefreshView: {"access"}
- POST /o/token/             django-oauth-toolkit TokenView (client credentials;
                             the application is made by setup_accounts)
- GET /api/me/               {"username"}: the token check of the login
                             profiles (DRF token, session cookie, OAuth2
                             or JWT; the project's other views take DRF
                             tokens only)
- GET/POST /accounts/login/  Django's LoginView (CSRF, sessionid cookie); its
                             form says "This account is inactive." for an
                             inactive user with the right password, as sites
                             using AllowAllUsersModelBackend do (Django's
                             default backend gives the wrong-password answer)."""
from django.contrib.auth.backends import AllowAllUsersModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication


class InactiveAwareForm(AuthenticationForm):
    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username and password:
            user = AllowAllUsersModelBackend().authenticate(self.request, username=username, password=password)
            if user is not None and not user.is_active:
                raise ValidationError(self.error_messages["inactive"], code="inactive")
        return super().clean()


class Me(APIView):
    # OAuth2 before JWT: the JWT authenticator rejects any Bearer that is
    # not a JWT instead of passing it on.
    authentication_classes = [TokenAuthentication, SessionAuthentication, OAuth2Authentication, JWTAuthentication]

    def get(self, request):
        return Response({"username": request.user.username})


class Login(LoginView):
    authentication_form = InactiveAwareForm
    template_name = "registration/login.html"
