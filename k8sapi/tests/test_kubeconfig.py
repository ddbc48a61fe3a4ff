"""`manage.py kubeconfig` and the tokens behind it."""
from __future__ import annotations

import base64
import io

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from cluster.bootstrap import ensure_cluster
from k8sapi import tls
from k8sapi.auth import ANONYMOUS, Unauthorized, authenticate
from k8sapi.models import ApiToken

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def kubeconfig(*args: str) -> dict:
    out = io.StringIO()
    call_command("kubeconfig", *args, stdout=out)
    return yaml.safe_load(out.getvalue())


def test_a_kubeconfig_that_works_as_is():
    cluster = ensure_cluster()
    config = kubeconfig()
    assert config["current-context"] == "kubesim-default"
    server = config["clusters"][0]["cluster"]
    assert server["server"] == "https://127.0.0.1:8001/k8s/clusters/default"
    assert base64.b64decode(server["certificate-authority-data"]) == tls.ca_pem()
    assert config["contexts"][0]["context"] == {"cluster": "kubesim-default", "user": "teacher@kubesim-default",
                                                "namespace": "default"}
    token = config["users"][0]["user"]["token"]
    identity = authenticate(f"Bearer {token}", cluster)
    assert (identity.name, identity.allowed) == ("teacher", True)
    teacher = get_user_model().objects.get(username="teacher")
    assert teacher.is_staff and not teacher.has_usable_password()


def test_the_token_is_reused_and_only_its_hash_is_stored():
    ensure_cluster()
    first = kubeconfig("--server", "https://example:9443/k8s/clusters/default")
    second = kubeconfig("--tls-port", "9443")
    token = first["users"][0]["user"]["token"]
    assert second["users"][0]["user"]["token"] == token
    assert second["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:9443/k8s/clusters/default"
    row = ApiToken.objects.get()
    assert token not in row.key_hash and row.salt in token


def test_a_token_is_for_its_cluster_only():
    default, other = ensure_cluster(), ensure_cluster("other", seed=1)
    token = kubeconfig()["users"][0]["user"]["token"]
    identity = authenticate(f"Bearer {token}", other)
    assert (identity.name, identity.allowed) == ("teacher", False)
    assert authenticate(None, default).name == ANONYMOUS
    for header in ("Bearer kubesim.x.y", "Basic dGVhY2hlcjp4", "Bearer "):
        with pytest.raises(Unauthorized):
            authenticate(header, default)
    ApiToken.objects.all().delete()
    with pytest.raises(Unauthorized):
        authenticate(f"Bearer {token}", default)


def test_unknown_cluster_or_user():
    ensure_cluster()
    with pytest.raises(CommandError, match='no cluster named "nope"'):
        kubeconfig("--cluster", "nope")
    with pytest.raises(CommandError, match='no user named "nobody"'):
        kubeconfig("--user", "nobody")
    get_user_model().objects.create(username="student")
    assert kubeconfig("--user", "student")["users"][0]["name"] == "student@kubesim-default"
