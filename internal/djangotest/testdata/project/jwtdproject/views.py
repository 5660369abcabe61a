"""Test views: the user a JWTAuthentication request carries, and Django's
own user code (authenticate(), set_password(), create_user(), is_active)
over HTTP, so a test can ask the real Django whether it accepts a password
jwtd wrote and have it write what jwtd must accept."""
import json

from django.contrib.auth import authenticate, get_user_model
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication


class Me(APIView):
    """The authenticated user, as Simple JWT's JWTAuthentication finds it."""

    authentication_classes = [JWTAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        u = request.user
        last_login = u.last_login.isoformat() if u.last_login else None
        return Response({"id": u.pk, "username": u.get_username(), "is_active": u.is_active, "last_login": last_login})


def ready(request):
    """200 once the server answers: the harness waits for it."""
    return JsonResponse({})


def _body(request):
    return json.loads(request.body or b"{}")


def _error(exc):
    # The exception's text, so a test failure says why Django refused
    # (for example a hasher whose library is not installed).
    return JsonResponse({"error": "%s: %s" % (type(exc).__name__, exc)}, status=500)


@csrf_exempt
def login(request):
    """Django's login check: django.contrib.auth.authenticate() with the
    configured backends and hashers. 200 with the user, 401 when Django
    refuses the credentials, 500 with the exception when it cannot check."""
    b = _body(request)
    try:
        user = authenticate(request, username=b.get("username"), password=b.get("password"))
    except Exception as exc:  # noqa: BLE001 - reported to the test
        return _error(exc)
    if user is None:
        return JsonResponse({"detail": "refused"}, status=401)
    return JsonResponse({"id": user.pk, "username": user.get_username(), "password": user.password})


@csrf_exempt
def set_password(request):
    """A password changed by Django: user.set_password() and save(), with
    Django's default hasher. Answers the stored hash."""
    b = _body(request)
    try:
        user = get_user_model().objects.get_by_natural_key(b["username"])
        user.set_password(b["password"])
        user.save()
    except Exception as exc:  # noqa: BLE001 - reported to the test
        return _error(exc)
    return JsonResponse({"id": user.pk, "password": user.password})


@csrf_exempt
def create_user(request):
    """A user added by Django: User.objects.create_user(), with Django's
    default hasher. Answers the new user's id and stored hash."""
    b = _body(request)
    try:
        user = get_user_model().objects.create_user(b["username"], password=b["password"])
    except Exception as exc:  # noqa: BLE001 - reported to the test
        return _error(exc)
    return JsonResponse({"id": user.pk, "password": user.password})


@csrf_exempt
def set_active(request):
    """A user (de)activated by Django: is_active set and saved."""
    b = _body(request)
    try:
        user = get_user_model().objects.get_by_natural_key(b["username"])
        user.is_active = bool(b["is_active"])
        user.save()
    except Exception as exc:  # noqa: BLE001 - reported to the test
        return _error(exc)
    return JsonResponse({"id": user.pk, "is_active": user.is_active})
