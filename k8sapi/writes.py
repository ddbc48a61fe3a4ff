"""The write verbs, as the API server checks them, on top of the store (the only write path).

The store already defaults, validates, versions, detects conflicts and logs every change; this
module adds what belongs to the HTTP API: the object in the body must agree with the URL, delete
options and preconditions, server-side apply creating a missing object, eviction, and the
answers kube-apiserver gives (a deleted Pod comes back as the object, other kinds as a Status).
"""
from __future__ import annotations

import json

import yaml

from cluster import store
from cluster.errors import BadRequest, Conflict, Forbidden, InvalidOptions, NotFound
from cluster.models import Cluster
from k8sapi.negotiation import is_yaml, patch_type
from k8sapi.reads import Selection, snapshot
from k8sapi.routes import ResourcePath

PROPAGATION_POLICIES = ("Foreground", "Background", "Orphan")
IMMORTAL_NAMESPACES = ("default", "kube-system", "kube-public")  # the NamespaceLifecycle admission plugin


def decode(data: bytes, content_type: str | None) -> object:
    """A request body: JSON, or YAML when the Content-Type says so (JSON when it says nothing)."""
    if not data.strip():
        raise BadRequest("the body of the request was empty")
    try:
        if is_yaml(content_type):
            return yaml.safe_load(data)
        return json.loads(data)
    except (ValueError, yaml.YAMLError) as exc:
        raise BadRequest(f"the body of the request could not be decoded: {exc}") from None


def as_object(route: ResourcePath, body: object) -> dict:
    """The body as an object of the route's kind, name and namespace (400 when it disagrees)."""
    res = route.resource
    if not isinstance(body, dict):
        raise BadRequest("the body of the request must be a JSON object")
    obj = dict(body)
    obj.setdefault("apiVersion", res.api_version)
    obj.setdefault("kind", res.kind)
    if obj["apiVersion"] != res.api_version:
        raise BadRequest(f"the API version in the data ({obj['apiVersion']}) does not match the expected "
                         f"API version ({res.api_version})")
    if obj["kind"] != res.kind:
        raise BadRequest(f"the kind in the data ({obj['kind']}) does not match the expected kind ({res.kind})")
    meta = dict(obj.get("metadata") or {})
    obj["metadata"] = meta
    if route.name is not None:
        meta.setdefault("name", route.name)
        if meta["name"] != route.name:
            raise BadRequest(f"the name of the object ({meta['name']}) does not match the name on the URL ({route.name})")
    if res.namespaced:
        meta.setdefault("namespace", route.namespace)
        if route.namespace is not None and meta["namespace"] != route.namespace:
            raise BadRequest("the namespace of the provided object does not match the namespace sent on the request")
    else:
        meta.pop("namespace", None)
    return obj


def create(cluster: Cluster, route: ResourcePath, body: object, *, dry_run: bool) -> dict:
    return store.create(cluster, as_object(route, body), dry_run=dry_run)


def replace(cluster: Cluster, route: ResourcePath, body: object, *, dry_run: bool) -> dict:
    return store.update(cluster, as_object(route, body), subresource=route.subresource, dry_run=dry_run)


def patch(cluster: Cluster, route: ResourcePath, data: bytes, content_type: str | None, *,
          dry_run: bool, field_manager: str | None = None, force: bool = False) -> tuple[dict, int]:
    """(object, HTTP status). Server-side apply creates a missing object (201); the others 404."""
    kind = patch_type(content_type)
    body = decode(data, content_type)
    res, namespace = route.resource, route.namespace or ""
    if kind == "apply" and route.subresource is None:
        if not field_manager:
            raise InvalidOptions.field_required("PatchOptions", "fieldManager", "is required for apply patch")
        try:
            store.get(cluster, res.kind, namespace, route.name)
        except NotFound:
            return store.create(cluster, as_object(route, body), dry_run=dry_run, field_manager=field_manager), 201
    return store.patch(cluster, res.kind, namespace, route.name, body, patch_type=kind,
                       subresource=route.subresource, dry_run=dry_run, field_manager=field_manager,
                       force=force), 200


def delete_options(query: dict, body: bytes) -> dict:
    """DeleteOptions from the query string and the body (the body wins), checked."""
    options = {k: v for k, v in query.items() if k in ("gracePeriodSeconds", "propagationPolicy", "orphanDependents")}
    if body.strip():
        sent = decode(body, "application/json")
        if not isinstance(sent, dict):
            raise BadRequest("DeleteOptions must be a JSON object")
        options.update(sent)
    grace = options.get("gracePeriodSeconds")
    if grace is not None:
        try:
            options["gracePeriodSeconds"] = max(int(grace), 0)
        except (TypeError, ValueError):
            raise BadRequest(f"gracePeriodSeconds: Invalid value: {grace!r}: must be an integer") from None
    policy = options.get("propagationPolicy")
    if policy is not None and policy not in PROPAGATION_POLICIES:
        raise BadRequest(f'propagationPolicy: Unsupported value: "{policy}": supported values: '
                         + ", ".join(f'"{p}"' for p in PROPAGATION_POLICIES))
    orphan = options.get("orphanDependents")
    if policy is None and orphan is not None:
        options["propagationPolicy"] = "Orphan" if str(orphan).lower() == "true" else "Background"
    return options


def _check_preconditions(current: dict, options: dict) -> None:
    pre = options.get("preconditions") or {}
    meta = current["metadata"]
    if pre.get("uid") and pre["uid"] != meta["uid"]:
        raise Conflict(f"Precondition failed: UID in precondition: {pre['uid']}, UID in object meta: {meta['uid']}")
    if pre.get("resourceVersion") and str(pre["resourceVersion"]) != meta["resourceVersion"]:
        raise Conflict(f"Precondition failed: ResourceVersion in precondition: {pre['resourceVersion']}, "
                       f"ResourceVersion in object meta: {meta['resourceVersion']}")


def _success(route: ResourcePath, uid: str, code: int = 200) -> dict:
    res = route.resource
    details = {"name": route.name, "kind": res.plural, "uid": uid}
    if res.group:
        details["group"] = res.group
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details, "code": code}


def delete(cluster: Cluster, route: ResourcePath, options: dict, *, dry_run: bool) -> dict:
    """Graceful for pods (they stay Terminating until the kubelet stops them); cascading as asked.

    A Pod comes back as the deleted object; other kinds as a success Status once they are gone,
    or as the object while finalizers (foreground deletion) keep them.
    """
    res, namespace = route.resource, route.namespace or ""
    current = store.get(cluster, res.kind, namespace, route.name).to_dict()
    _check_preconditions(current, options)
    if res.kind == "Namespace" and route.name in IMMORTAL_NAMESPACES:
        raise Forbidden(f'namespaces "{route.name}" is forbidden: this namespace may not be deleted',
                        details={"name": route.name, "kind": "namespaces"})
    result = store.delete(cluster, res.kind, namespace, route.name,
                          grace_period_seconds=options.get("gracePeriodSeconds"),
                          propagation_policy=options.get("propagationPolicy"), dry_run=dry_run)
    if res.kind == "Pod" or dry_run:
        return result
    try:
        store.get(cluster, res.kind, namespace, route.name)
    except NotFound:
        return _success(route, current["metadata"]["uid"])
    return result


def delete_collection(cluster: Cluster, sel: Selection, options: dict, *, dry_run: bool) -> dict:
    res = sel.resource
    snap = snapshot(cluster, sel)
    rows = list(store.model_for(res.kind).objects.filter(
        cluster=cluster, uid__in=[o["metadata"]["uid"] for o in snap.objects]))
    deleted = store.delete_many(cluster, rows, grace_period_seconds=options.get("gracePeriodSeconds"),
                                propagation_policy=options.get("propagationPolicy"), dry_run=dry_run)
    return {"kind": f"{res.kind}List", "apiVersion": res.api_version,
            "metadata": {"resourceVersion": str(snap.resource_version)}, "items": deleted}


def evict(cluster: Cluster, route: ResourcePath, body: object, *, dry_run: bool) -> dict:
    """policy/v1 Eviction: a graceful delete (no PodDisruptionBudgets are simulated), 201."""
    if not isinstance(body, dict) or body.get("kind") not in (None, "Eviction"):
        raise BadRequest("the body of an eviction must be a policy/v1 Eviction")
    name = (body.get("metadata") or {}).get("name")
    if name and name != route.name:
        raise BadRequest("name in URL does not match name in Eviction object")
    options = delete_options({}, json.dumps(body.get("deleteOptions") or {}).encode())
    dry_run = dry_run or dry_run_requested(options.get("dryRun") or [])
    current = store.get(cluster, "Pod", route.namespace or "", route.name).to_dict()
    _check_preconditions(current, options)
    store.delete(cluster, "Pod", route.namespace or "", route.name,
                 grace_period_seconds=options.get("gracePeriodSeconds"), dry_run=dry_run)
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


def dry_run_requested(values: list[str]) -> bool:
    """The `dryRun` query parameter: absent, or "All"."""
    for value in values:
        if value != "All":
            raise BadRequest(f'dryRun: Unsupported value: "{value}": supported values: "All"')
    return bool(values)

