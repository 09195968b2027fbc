from django.urls import include, path

from notifications import views

urlpatterns = [
    path("api/notifications/", views.NotificationList.as_view()),
    path("api/kick/", views.Kick.as_view()),
    path("api/push/", views.Push.as_view()),
    path("api/broadcast/", views.Broadcast.as_view()),
    path("", include("accounts.urls")),
]
