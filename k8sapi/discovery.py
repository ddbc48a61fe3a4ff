"""/version, discovery (legacy and aggregated) and the OpenAPI v3 stub.

- `/version` must say 1.32: the installed kubectl is a dispatcher that runs the kubectl binary
  whose minor version matches the server's.
- Aggregated discovery (v2 or v2beta1, by the exact `v=` the client asked for: kubectl 1.29
  only understands v2beta1) saves a fresh kubectl one request per group; the legacy documents
  serve the Python client and older kubectls.
- The OpenAPI v3 stub exists only so that kubectl's default `--validate=strict` finds a PATCH
  operation with a `fieldValidation` parameter for each kind and leaves validation to the
  server. It deliberately has no request bodies or schemas: client-side apply then falls back
  to kubectl's compiled-in types for strategic merge (what we want). `kubectl explain` needs
  real schemas and is not served.
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from cluster.kinds import Resource
from k8sapi import registry

VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-kubesim",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.23.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def _group_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


# --- legacy discovery ------------------------------------------------------------------------


def api_versions(server_address: str) -> dict:
    """`GET /api`"""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _api_group(group: str) -> dict:
    versions = [{"groupVersion": _group_version(g, v), "version": v} for g, v in registry.group_versions() if g == group]
    return {"name": group, "versions": versions, "preferredVersion": versions[0]}


def api_group_list() -> dict:
    """`GET /apis`: every named group (the core group is under /api)."""
    groups = []
    for group, _ in registry.group_versions():
        if group and not any(g["name"] == group for g in groups):
            groups.append(_api_group(group))
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(group: str) -> dict | None:
    """`GET /apis/GROUP`, or None for a group we do not serve."""
    if not group or not registry.resources_in(group, "v1"):
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_api_group(group)}


def _legacy_entries(res: Resource) -> list[dict]:
    entry = {
        "name": res.plural,
        "singularName": res.singular,
        "namespaced": res.namespaced,
        "kind": res.kind,
        "verbs": list(registry.verbs(res)),
    }
    if res.short_names:
        entry["shortNames"] = list(res.short_names)
    if res.categories:
        entry["categories"] = list(res.categories)
    entries = [entry]
    for sub in registry.subresources(res):
        item = {"name": f"{res.plural}/{sub.name}", "singularName": "", "namespaced": res.namespaced,
                "kind": sub.kind or res.kind, "verbs": list(sub.verbs)}
        if sub.group is not None:
            item["group"], item["version"] = sub.group, sub.version
        entries.append(item)
    return entries


def api_resource_list(group: str, version: str) -> dict | None:
    """`GET /api/v1`, `GET /apis/GROUP/VERSION`, or None when not served."""
    resources = registry.resources_in(group, version)
    if not resources:
        return None
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": _group_version(group, version),
        "resources": [e for res in resources for e in _legacy_entries(res)],
    }


# --- aggregated discovery --------------------------------------------------------------------


def _aggregated_resource(res: Resource) -> dict:
    entry = {
        "resource": res.plural,
        "responseKind": {"group": res.group, "version": res.version, "kind": res.kind},
        "scope": "Namespaced" if res.namespaced else "Cluster",
        "singularResource": res.singular,
        "verbs": list(registry.verbs(res)),
    }
    if res.short_names:
        entry["shortNames"] = list(res.short_names)
    if res.categories:
        entry["categories"] = list(res.categories)
    subs = [
        {
            "subresource": sub.name,
            "responseKind": {
                "group": res.group if sub.group is None else sub.group,
                "version": res.version if sub.version is None else sub.version,
                "kind": sub.kind or res.kind,
            },
            "verbs": list(sub.verbs),
        }
        for sub in registry.subresources(res)
    ]
    if subs:
        entry["subresources"] = subs
    return entry


def aggregated(core: bool, version: str) -> dict:
    """`GET /api` (core) or `GET /apis` (named groups) as an APIGroupDiscoveryList."""
    items = []
    for group, gv_version in registry.group_versions():
        if bool(group) == core:
            continue
        resources = [_aggregated_resource(r) for r in registry.resources_in(group, gv_version)]
        existing = next((i for i in items if i["metadata"]["name"] == group), None)
        block = {"version": gv_version, "resources": resources, "freshness": "Current"}
        if existing:
            existing["versions"].append(block)
        else:
            items.append({"metadata": {"name": group}, "versions": [block]})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": f"apidiscovery.k8s.io/{version}",
            "metadata": {}, "items": items}


# --- OpenAPI v3 ------------------------------------------------------------------------------


def _openapi_key(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _item_path(res: Resource) -> str:
    prefix = "/" + _openapi_key(res.group, res.version)
    if res.namespaced:
        return f"{prefix}/namespaces/{{namespace}}/{res.plural}/{{name}}"
    return f"{prefix}/{res.plural}/{{name}}"


def _openapi_document(group: str, version: str) -> dict:
    field_validation = {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True}}
    paths = {
        _item_path(res): {
            "patch": {
                "operationId": f"patch{res.kind}",
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": {"group": res.group, "version": res.version, "kind": res.kind},
                "parameters": [field_validation],
                "responses": {"200": {"description": "OK"}},
            }
        }
        for res in registry.resources_in(group, version)
    }
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.0"}, "paths": paths}


@lru_cache(maxsize=None)
def openapi_documents() -> dict[str, tuple[bytes, str]]:
    """{"api/v1": (JSON bytes, content hash), ...}: built once, the hashes make them cacheable."""
    docs = {}
    for group, version in registry.group_versions():
        body = json.dumps(_openapi_document(group, version), separators=(",", ":")).encode()
        docs[_openapi_key(group, version)] = (body, hashlib.sha512(body).hexdigest().upper())
    return docs


def openapi_index() -> dict:
    """`GET /openapi/v3`: where each group/version's document is (relative to the server URL)."""
    return {
        "paths": {
            key: {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest}"}
            for key, (_, digest) in openapi_documents().items()
        }
    }
