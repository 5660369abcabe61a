"""Simple JWT's views where its documentation puts them, plus the test
views in views.py."""
from django.urls import path
from rest_framework_simplejwt.views import (
    TokenBlacklistView,
    TokenObtainPairView,
    TokenObtainSlidingView,
    TokenRefreshSlidingView,
    TokenRefreshView,
    TokenVerifyView,
)

from . import views

urlpatterns = [
    path("api/token/", TokenObtainPairView.as_view()),
    path("api/token/refresh/", TokenRefreshView.as_view()),
    path("api/token/verify/", TokenVerifyView.as_view()),
    path("api/token/blacklist/", TokenBlacklistView.as_view()),
    path("api/token/sliding/", TokenObtainSlidingView.as_view()),
    path("api/token/sliding/refresh/", TokenRefreshSlidingView.as_view()),
    path("api/me/", views.Me.as_view()),
    path("django/ready/", views.ready),
    path("django/login/", views.login),
    path("django/password/", views.set_password),
    path("django/users/", views.create_user),
    path("django/active/", views.set_active),
]
