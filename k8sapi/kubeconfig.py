"""Kubeconfigs that work as they are: the server's HTTPS URL, its CA and a bearer token.

kubectl sends tokens only over TLS, so the server is the HTTPS port (`k8sapi.tls`) and the CA
that signed its certificate travels inside the file (`certificate-authority-data`). The
dashboard calls `kubeconfig_for`; `manage.py kubeconfig` prints the same thing.
"""
from __future__ import annotations

import base64

import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from cluster.models import Cluster
from k8sapi import tls
from k8sapi.models import ApiToken

TEACHER = "teacher"
API_PREFIX = "/k8s/clusters/"


def server_url(cluster: Cluster, host: str = "127.0.0.1", tls_port: int = 8001) -> str:
    return f"https://{host}:{tls_port}{API_PREFIX}{cluster.name}"


def token_for(user: AbstractBaseUser, cluster: Cluster) -> str:
    """The user's token for the cluster: the existing one when it can still be shown, else new."""
    for row in ApiToken.objects.filter(user=user, cluster=cluster):
        if row.current:
            return row.token
    return ApiToken.objects.create(user=user, cluster=cluster).token


def local_user(username: str = TEACHER) -> AbstractBaseUser:
    """A local user by name; the teacher is created when missing, as the dashboard's sign-in does
    (staff, with no usable password)."""
    User = get_user_model()
    if username != TEACHER:
        return User.objects.get(username=username)
    user, created = User.objects.get_or_create(
        username=TEACHER, defaults={"is_staff": True, "is_superuser": True, "first_name": "Teacher"})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def kubeconfig_for(user: AbstractBaseUser, cluster: Cluster, server: str) -> str:
    """A kubeconfig (YAML) for `user` on `cluster`, reached at `server`, namespace default."""
    name = f"kubesim-{cluster.name}"
    user_name = f"{user.get_username()}@{name}"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {
            "server": server,
            "certificate-authority-data": base64.b64encode(tls.ca_pem()).decode(),
        }}],
        "users": [{"name": user_name, "user": {"token": token_for(user, cluster)}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": user_name, "namespace": "default"}}],
        "current-context": name,
        "preferences": {},
    }
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=False)
