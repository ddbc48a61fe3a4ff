"""From a URL path (below /k8s/clusters/NAME) to what it names, as kube-apiserver reads paths.

    /version                                          Info("version")
    /api, /apis, /apis/apps, /api/v1, /apis/apps/v1   Info("discovery", group, version)
    /openapi/v2, /openapi/v3[/api/v1|/apis/G/V]       Info("openapi-v2"|"openapi-v3", key=...)
    /api/v1/nodes[/NAME[/SUB]]                        ResourcePath (cluster scope, or every namespace)
    /api/v1/namespaces/NS/pods[/NAME[/SUB]]           ResourcePath (one namespace)

`/api/v1/namespaces/NS/status` is the Namespace's status subresource, not a collection named
"status": the third segment is a collection only if it is a namespaced resource of the group.
Both `/version` and `/version/` are accepted (the Python client asks for the latter).
"""
from __future__ import annotations

from dataclasses import dataclass

from cluster.errors import ApiError
from cluster.kinds import Resource
from k8sapi import registry


class NoRoute(ApiError):
    """kube-apiserver's answer for a path it does not serve."""

    code = 404
    reason = "NotFound"

    def __init__(self) -> None:
        super().__init__("the server could not find the requested resource")


@dataclass(frozen=True)
class Info:
    """A non-resource path: version, discovery, OpenAPI."""

    endpoint: str
    group: str | None = None
    version: str | None = None
    key: str = ""


@dataclass(frozen=True)
class ResourcePath:
    resource: Resource
    namespace: str | None = None  # None: cluster-scoped, or a namespaced resource across all namespaces
    name: str | None = None
    subresource: str | None = None

    @property
    def is_collection(self) -> bool:
        return self.name is None


def _discovery(parts: list[str]) -> Info | None:
    if parts == ["api"]:
        return Info("discovery", group="")
    if parts == ["apis"]:
        return Info("discovery")
    if len(parts) == 2 and parts[0] == "api":
        return Info("discovery", group="", version=parts[1])
    if len(parts) == 2 and parts[0] == "apis":
        return Info("discovery", group=parts[1])
    if len(parts) == 3 and parts[0] == "apis":
        return Info("discovery", group=parts[1], version=parts[2])
    return None


def _openapi(parts: list[str]) -> Info | None:
    if parts[:1] != ["openapi"]:
        return None
    if parts == ["openapi", "v2"]:
        return Info("openapi-v2")
    if parts[:2] == ["openapi", "v3"]:
        return Info("openapi-v3", key="/".join(parts[2:]))
    return None


def _resource(group: str, version: str, rest: list[str]) -> ResourcePath:
    if not rest:
        raise NoRoute()
    if rest[0] == "namespaces" and len(rest) >= 3:
        inner = registry.by_plural(group, version, rest[2])
        if inner is not None and inner.namespaced:
            if len(rest) > 5 or not rest[1]:
                raise NoRoute()
            return _checked(ResourcePath(inner, rest[1], *(rest[3:] + [None, None])[:2]))
    res = registry.by_plural(group, version, rest[0])
    if res is None or len(rest) > 3:
        raise NoRoute()
    return _checked(ResourcePath(res, None, *(rest[1:] + [None, None])[:2]))


def _checked(route: ResourcePath) -> ResourcePath:
    if route.name == "" or (route.subresource is not None and registry.subresource(route.resource, route.subresource) is None):
        raise NoRoute()
    if route.namespace is None and route.name is not None and route.resource.namespaced:
        raise NoRoute()  # /api/v1/pods/NAME: a namespaced object needs its namespace
    return route


def resolve(path: str) -> Info | ResourcePath:
    parts = [p for p in path.strip("/").split("/")]
    parts = [] if parts == [""] else parts
    if parts in (["version"], []):
        return Info("version" if parts else "root")
    for reader in (_discovery, _openapi):
        info = reader(parts)
        if info is not None:
            return info
    if len(parts) >= 3 and parts[0] == "api":
        return _resource("", parts[1], parts[2:])
    if len(parts) >= 4 and parts[0] == "apis":
        return _resource(parts[1], parts[2], parts[3:])
    raise NoRoute()
