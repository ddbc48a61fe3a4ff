"""Accept headers and paths, exactly as kubectl 1.32 and the Python client send them."""
import pytest

from k8sapi.negotiation import JSON, Kind, UnsupportedMediaType, choose, patch_type
from k8sapi.routes import Info, NoRoute, ResourcePath, resolve

KUBECTL_GET = ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
               "application/json")
KUBECTL_DISCOVERY = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                     "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")
TABLE_AND_DISCOVERY = frozenset({Kind.TABLE, Kind.DISCOVERY})


def test_kubectl_get_asks_for_a_v1_table():
    rep = choose(KUBECTL_GET, frozenset({Kind.TABLE}))
    assert (rep.kind, rep.version) == (Kind.TABLE, "v1")


def test_a_table_is_only_given_where_offered():
    assert choose(KUBECTL_GET) == JSON


def test_aggregated_discovery_version_follows_the_client():
    assert choose(KUBECTL_DISCOVERY, TABLE_AND_DISCOVERY).version == "v2"
    # kubectl 1.29 only knows v2beta1: answering v2 made it lose every resource type
    older = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
    rep = choose(older, TABLE_AND_DISCOVERY)
    assert (rep.kind, rep.version) == (Kind.DISCOVERY, "v2beta1")
    assert rep.content_type == "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"


@pytest.mark.parametrize("accept", [None, "", "*/*", "application/json",
                                    "application/vnd.kubernetes.protobuf,application/json",
                                    "application/vnd.kubernetes.protobuf",
                                    "application/json;as=Table;v=v9;g=meta.k8s.io,application/json"])
def test_everything_else_is_json(accept):
    assert choose(accept, TABLE_AND_DISCOVERY) == JSON


def test_quality_values_reorder_preferences():
    accept = "application/json;q=0.5,application/json;as=Table;v=v1;g=meta.k8s.io"
    assert choose(accept, frozenset({Kind.TABLE})).kind is Kind.TABLE


@pytest.mark.parametrize("content_type, kind", [
    ("application/strategic-merge-patch+json", "strategic"),
    ("application/merge-patch+json", "merge"),
    ("application/json-patch+json", "json"),
    ("application/apply-patch+yaml", "apply"),
    ("application/apply-patch+yaml; charset=utf-8", "apply"),
])
def test_patch_types(content_type, kind):
    assert patch_type(content_type) == kind


def test_other_patch_bodies_are_415():
    with pytest.raises(UnsupportedMediaType) as exc:
        patch_type("application/json")
    assert exc.value.status()["code"] == 415


@pytest.mark.parametrize("path, expected", [
    ("version", Info("version")),
    ("version/", Info("version")),
    ("api", Info("discovery", group="")),
    ("apis", Info("discovery")),
    ("api/v1", Info("discovery", group="", version="v1")),
    ("apis/apps", Info("discovery", group="apps")),
    ("apis/apps/v1/", Info("discovery", group="apps", version="v1")),
    ("openapi/v3", Info("openapi-v3")),
    ("openapi/v3/apis/apps/v1", Info("openapi-v3", key="apis/apps/v1")),
    ("openapi/v2", Info("openapi-v2")),
])
def test_non_resource_paths(path, expected):
    assert resolve(path) == expected


def _route(path):
    r = resolve(path)
    assert isinstance(r, ResourcePath)
    return r.resource.plural, r.namespace, r.name, r.subresource


@pytest.mark.parametrize("path, expected", [
    ("api/v1/pods", ("pods", None, None, None)),
    ("api/v1/namespaces/default/pods", ("pods", "default", None, None)),
    ("api/v1/namespaces/default/pods/x/log", ("pods", "default", "x", "log")),
    ("api/v1/namespaces/default/pods/x/eviction", ("pods", "default", "x", "eviction")),
    ("api/v1/namespaces", ("namespaces", None, None, None)),
    ("api/v1/namespaces/default", ("namespaces", None, "default", None)),
    ("api/v1/namespaces/default/status", ("namespaces", None, "default", "status")),
    ("api/v1/nodes/node-1", ("nodes", None, "node-1", None)),
    ("apis/apps/v1/daemonsets", ("daemonsets", None, None, None)),
    ("apis/apps/v1/namespaces/kube-system/daemonsets/x/status", ("daemonsets", "kube-system", "x", "status")),
    ("apis/batch/v1/namespaces/default/jobs/", ("jobs", "default", None, None)),
])
def test_resource_paths(path, expected):
    assert _route(path) == expected


@pytest.mark.parametrize("path", ["api/v2/pods", "api/v1/widgets", "apis/apps/v1/pods", "api/v1/pods/x",
                                  "api/v1/namespaces/default/pods/x/exec", "api/v1/nodes/n/log",
                                  "apis/policy/v1/evictions", "healthz"])
def test_unknown_paths_are_404(path):
    with pytest.raises(NoRoute):
        resolve(path)
