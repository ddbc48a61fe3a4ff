"""The local teacher's one-time sign-in link, printed by `manage.py serve` (as Jupyter prints its
token URL).

`signin_url(base_url)` makes sure a staff superuser called "teacher" exists (with no usable
password: the link is the way in) and returns `<base_url>/signin/<token>/`. The token is signed
with SECRET_KEY and bound to the user's `last_login`: signing in updates `last_login`, so a
link works once, and every link printed before it stops working too.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model, login
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

TEACHER = "teacher"
SALT = "kubesim.dashboard.signin"
MAX_AGE = 30 * 24 * 3600  # seconds; the binding to last_login is what makes it one-time


def ensure_teacher():
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=TEACHER, defaults={"is_staff": True, "is_superuser": True, "first_name": "Teacher"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _stamp(user) -> str:
    return user.last_login.isoformat() if user.last_login else ""


def make_token(user) -> str:
    return signing.dumps({"u": user.pk, "l": _stamp(user)}, salt=SALT, compress=True)


def user_for_token(token: str):
    """The user the token signs in, or None if it is forged, expired or already used."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    user = get_user_model().objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or _stamp(user) != data.get("l"):
        return None
    return user


def signin_url(base_url: str) -> str:
    """A fresh one-time sign-in link for the local teacher."""
    token = make_token(ensure_teacher())
    return base_url.rstrip("/") + reverse("dashboard:signin", args=[token])


@require_GET
def signin(request: HttpRequest, token: str) -> HttpResponse:
    user = user_for_token(token)
    if user is None:
        return render(request, "dashboard/signin_used.html", status=403)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")  # updates last_login
    return HttpResponseRedirect(reverse("dashboard:home"))
