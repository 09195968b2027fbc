from django.urls import path
from oauth2_provider.views import TokenView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from .views import Login, Me

urlpatterns = [
    path("api-token-auth/", obtain_auth_token),
    path("api/jwt/", TokenObtainPairView.as_view()),
    path("api/jwt/refresh/", TokenRefreshView.as_view()),
    path("o/token/", TokenView.as_view()),
    path("accounts/login/", Login.as_view()),
    path("api/me/", Me.as_view()),
]
