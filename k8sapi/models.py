"""Bearer tokens for the Kubernetes API (what a kubeconfig's `users[].user.token` carries).

Only a SHA-256 of the token is stored, so the database alone does not give tokens away. The
token itself is derived from SECRET_KEY and the row's random `salt`, which lets the server hand
the same token out again (`manage.py kubeconfig` run twice prints one kubeconfig, not two
competing ones). Deleting the row revokes the token for good: a new row gets a new salt.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models

TOKEN_PREFIX = "kubesim"


def new_salt() -> str:
    return secrets.token_hex(16)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    cluster = models.ForeignKey(
        "cluster.Cluster", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="The cluster the token is for; empty for every cluster.",
    )
    salt = models.CharField(max_length=32, default=new_salt)
    key_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.cluster or 'every cluster'}"

    @property
    def token(self) -> str:
        secret = hmac.new(settings.SECRET_KEY.encode(), f"k8sapi-token:{self.salt}".encode(), hashlib.sha256)
        return f"{TOKEN_PREFIX}.{self.salt}.{secret.hexdigest()}"

    @property
    def current(self) -> bool:
        """False when SECRET_KEY changed since the token was made (it can no longer be shown)."""
        return hmac.compare_digest(digest(self.token), self.key_hash)

    def save(self, *args, **kwargs) -> None:
        if not self.key_hash:
            self.key_hash = digest(self.token)
        super().save(*args, **kwargs)
