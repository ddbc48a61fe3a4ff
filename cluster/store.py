"""The store: the only code that writes cluster objects.

Every write, from the admin, the command line, the dashboard, the Kubernetes API or a
controller, comes through here. In one transaction the store:

- defaults and validates the object (Kubernetes' own rules and messages, `cluster.manifests`),
- hands out the cluster's next resourceVersions (strictly increasing per cluster: the counter
  row stays locked until commit, so versions become visible in order),
- bumps `metadata.generation` when the spec changes,
- writes the object and its typed columns, and appends one change-log row per write,
- and, after commit, announces which keys changed to its subscribers (the controllers' engine
  and the live pages). Announcements carry keys only, never object state.

The `*_many` functions are the batched forms: one counter update, one bulk insert per model and
one change-log insert per batch, whatever the number of objects.
"""
from __future__ import annotations

import hashlib
import json
import random
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable

from django.db import connection, transaction

from cluster import manifests, reading
from cluster.errors import AlreadyExists, BadRequest, Conflict, Forbidden, Invalid, InvalidOptions, NotFound
from cluster.kinds import resource_for, resource_for_manifest
from cluster.models import MODELS, Change, Cluster, KubeObject, copy_json
from cluster.timeutil import format_time, parse_time

NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
MAX_GENERATE_NAME_BASE = 58  # 63 - 5 random characters
DAEMONSET_TEMPLATE_GENERATION = manifests.TEMPLATE_GENERATION_ANNOTATION


@dataclass(frozen=True)
class Touched:
    """A key that changed, and what a subscriber needs to map it to the keys that care."""

    type: str  # ADDED, MODIFIED, DELETED
    kind: str
    namespace: str
    name: str
    uid: str
    owner_kind: str = ""
    owner_name: str = ""
    node_name: str = ""
    deleting: bool = False
    owner_uid: str = ""
    phase: str = ""


Subscriber = Callable[[int, list[Touched]], None]
_subscribers: list[Subscriber] = []
_in_transaction: list[Callable[[Cluster, list[Touched]], None]] = []


def subscribe(fn: Subscriber) -> None:
    """Call `fn(cluster_id, touched)` after each commit that changed objects."""
    if fn not in _subscribers:
        _subscribers.append(fn)


def unsubscribe(fn: Subscriber) -> None:
    if fn in _subscribers:
        _subscribers.remove(fn)


def subscribe_in_transaction(fn: Callable[[Cluster, list[Touched]], None]) -> None:
    """Call `fn(cluster, touched)` inside the writing transaction (the controllers' work queue
    is filled there, so a wake-up commits or rolls back with the write that caused it)."""
    if fn not in _in_transaction:
        _in_transaction.append(fn)


_held = threading.local()


@contextmanager
def announcements_held():
    """Hold this thread's after-commit announcements and make them one per cluster when the
    block ends. The engine runs each step in it: a step commits once per controller that ran,
    and the subscribers (the live pages, the API's watches, the worker) hear of the step once,
    with everything it changed. Nested blocks join the outermost one."""
    if getattr(_held, "touched", None) is not None:
        yield
        return
    held: dict[int, list[Touched]] = {}
    _held.touched = held
    try:
        yield
    finally:
        _held.touched = None
        for cluster_id, touched in held.items():
            _announce(cluster_id, touched)


def _announce(cluster_id: int, touched: list[Touched]) -> None:
    held = getattr(_held, "touched", None)
    if held is not None:
        held.setdefault(cluster_id, []).extend(touched)
        return
    for fn in list(_subscribers):
        fn(cluster_id, touched)


# --- reading -------------------------------------------------------------------------------


def model_for(kind: str) -> type[KubeObject]:
    return MODELS[kind]


def get(cluster: Cluster, kind: str, namespace: str, name: str) -> KubeObject:
    model = model_for(kind)
    ns = namespace if model.namespaced else ""
    obj = model.objects.filter(cluster=cluster, namespace=ns, name=name).first()
    if obj is None:
        raise NotFound.of(kind, name)
    return obj


def now(cluster: Cluster) -> datetime:
    """The cluster's simulated time, as stored (every process agrees on it)."""
    return Cluster.objects.values_list("sim_now", flat=True).get(pk=cluster.pk)


# --- counters ------------------------------------------------------------------------------


def _bump_counters(cluster: Cluster, *, rvs: int = 0, names: int = 0) -> tuple[int, int, datetime]:
    """Take `rvs` resourceVersions and `names` name draws; returns the last of each and now.

    One UPDATE ... RETURNING: the row stays locked until commit, which serialises writers.
    """
    table = Cluster._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {table} SET resource_version = resource_version + %s, "
            f"name_counter = name_counter + %s WHERE id = %s "
            f"RETURNING resource_version, name_counter, sim_now",
            [rvs, names, cluster.pk],
        )
        rv, counter, sim_now = cur.fetchone()
    if isinstance(sim_now, str):  # SQLite returns text through RETURNING
        sim_now = parse_time(sim_now)
    return rv, counter, sim_now


def _draw(cluster: Cluster, counter: int) -> random.Random:
    return random.Random(f"{cluster.name}:{cluster.seed}:{counter}")


def name_suffix(rng: random.Random) -> str:
    return "".join(rng.choice(NAME_ALPHABET) for _ in range(5))


# --- object preparation ----------------------------------------------------------------------


def _controller_ref(meta: dict) -> dict:
    for ref in meta.get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return {}


def _columns(model: type[KubeObject], obj: dict) -> dict:
    meta = obj["metadata"]
    ref = _controller_ref(meta)
    deletion = meta.get("deletionTimestamp")
    return {
        "namespace": meta.get("namespace", ""),
        "name": meta["name"],
        "uid": meta["uid"],
        "resource_version": int(meta["resourceVersion"]),
        "generation": int(meta.get("generation") or 0),
        "creation_timestamp": parse_time(meta["creationTimestamp"]),
        "deletion_timestamp": parse_time(deletion) if deletion else None,
        "labels": meta.get("labels") or {},
        "owner_uid": ref.get("uid", ""),
        "owner_kind": ref.get("kind", ""),
        "owner_name": ref.get("name", ""),
        "metadata": meta,
        "spec": obj.get("spec") or {},
        "status": obj.get("status") or {},
        **model.index_columns(obj),
    }


def _touched(type_: str, obj: dict) -> Touched:
    meta = obj["metadata"]
    ref = _controller_ref(meta)
    return Touched(
        type=type_,
        kind=obj["kind"],
        namespace=meta.get("namespace", ""),
        name=meta["name"],
        uid=meta["uid"],
        owner_kind=ref.get("kind", ""),
        owner_name=ref.get("name", ""),
        node_name=(obj.get("spec") or {}).get("nodeName") or "" if obj["kind"] == "Pod" else "",
        deleting=bool(meta.get("deletionTimestamp")),
        owner_uid=ref.get("uid", ""),
        phase=(obj.get("status") or {}).get("phase", "") if obj["kind"] == "Pod" else "",
    )


def _check_kind(obj: dict) -> str:
    if not isinstance(obj, dict):
        raise BadRequest("the object must be a mapping")
    try:
        return resource_for_manifest(obj.get("apiVersion", ""), obj.get("kind", "")).kind
    except LookupError as exc:
        raise BadRequest(str(exc)) from None


def _validated(obj: dict, old: dict | None = None) -> dict:
    try:
        return manifests.prepare(obj, old)
    except manifests.InvalidError as exc:
        raise Invalid(exc) from None
    except manifests.ManifestError as exc:    # undecodable: the server's 400 ("cannot be handled as")
        raise BadRequest(str(exc)) from None


def _spec_of(obj: dict) -> object:
    """What counts as the spec for generation purposes."""
    if obj["kind"] == "ControllerRevision":
        return obj.get("data")
    return obj.get("spec")


def node_ip(name: str) -> str:
    """A registered node's InternalIP (and so its pods' hostIP): stable for the node's name."""
    digest = hashlib.sha1(name.encode()).digest()
    return f"192.168.{digest[0] % 250}.{digest[1] % 250 + 2}"


def _registered_node_status(obj: dict, now_s: str) -> dict:
    """The status a kubelet reports when it registers a node (when a manifest gave none)."""
    status = copy_json(obj.get("status") or {})
    capacity = {"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"}
    status.setdefault("capacity", capacity)
    status.setdefault("allocatable", dict(status["capacity"]))
    status.setdefault(
        "conditions",
        [
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "message": "kubelet is posting ready status",
                "lastHeartbeatTime": now_s,
                "lastTransitionTime": now_s,
            }
        ],
    )
    status.setdefault("addresses", [{"type": "InternalIP", "address": node_ip(obj["metadata"]["name"])},
                                    {"type": "Hostname", "address": obj["metadata"]["name"]}])
    status.setdefault(
        "nodeInfo",
        {
            "kubeletVersion": "v1.32.0",
            "kubeProxyVersion": "v1.32.0",
            "osImage": "Simulated Linux",
            "kernelVersion": "6.1.0-sim",
            "containerRuntimeVersion": "containerd://1.7.0-sim",
            "operatingSystem": "linux",
            "architecture": "amd64",
            "machineID": obj["metadata"]["uid"].replace("-", ""),
            "systemUUID": obj["metadata"]["uid"],
            "bootID": obj["metadata"]["uid"],
        },
    )
    return status


def _reset_status_on_create(obj: dict, now_s: str) -> None:
    """What each kind's create strategy does to a status sent by the client."""
    kind = obj["kind"]
    if kind == "Node":
        obj["status"] = _registered_node_status(obj, now_s)
    elif kind == "Pod":
        obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
    elif kind == "DaemonSet":
        obj["status"] = {
            "currentNumberScheduled": 0,
            "numberMisscheduled": 0,
            "desiredNumberScheduled": 0,
            "numberReady": 0,
        }
    elif kind in ("Job", "CronJob"):
        obj["status"] = {}
    elif kind == "Namespace":
        obj["status"] = {"phase": "Active"}


DEFAULT_TOLERATION_SECONDS = 300
DEFAULT_TOLERATION_KEYS = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")


def _admit_pod(obj: dict) -> None:
    """The admission plugins a pod meets on create: ServiceAccount (the namespace's `default`
    account), Priority (no PriorityClass: priority 0, PreemptLowerPriority) and
    DefaultTolerationSeconds (tolerate not-ready/unreachable for 300 s)."""
    spec = obj.setdefault("spec", {})
    if not spec.get("serviceAccountName"):
        spec["serviceAccountName"] = spec.get("serviceAccount") or "default"
    spec.setdefault("serviceAccount", spec["serviceAccountName"])   # the deprecated alias, as the API server fills it
    if not spec.get("priorityClassName"):
        spec.setdefault("priority", 0)
        spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    tolerations = spec.setdefault("tolerations", [])
    for key in DEFAULT_TOLERATION_KEYS:
        if not any(t.get("key") == key and t.get("effect") in ("NoExecute", None, "") for t in tolerations):
            tolerations.append({"key": key, "operator": "Exists", "effect": "NoExecute",
                                "tolerationSeconds": DEFAULT_TOLERATION_SECONDS})


# --- create --------------------------------------------------------------------------------


def create(cluster: Cluster, obj: dict, *, dry_run: bool = False, field_manager: str | None = None) -> dict:
    """Create one object from a Kubernetes-shaped dict; returns the stored object. With
    `field_manager`, the object is created by a server-side apply and that manager owns the
    fields it set (`metadata.managedFields`)."""
    if field_manager:
        from cluster import ownership

        managed = ownership.created_by_apply(obj, manager=field_manager, now=format_time(now(cluster)))
        obj = {**obj, "metadata": {**(obj.get("metadata") or {}), "managedFields": managed}}
    return create_many(cluster, [obj], dry_run=dry_run)[0]


@transaction.atomic
def create_many(cluster: Cluster, objs: Iterable[dict], *, dry_run: bool = False, trusted: bool = False,
                one_template: bool = False) -> list[dict]:
    """Create objects in one batch. A bad object rejects the whole batch: nothing is stored.

    `trusted` is for objects the system builds itself from checked parts (the event recorder's
    events): they are not defaulted and validated again. `one_template` is for a controller's
    pods built from one (validated) template, differing only in generated names, labels and
    node: the first is defaulted and validated; when defaulting only added fields to it, the
    others get the same fields and are taken as they are, otherwise (or where one's shape
    differs) each goes through defaulting and validation. With either, the objects are taken
    over (not copied): the caller built them for this call."""
    objs = list(objs) if trusted or one_template else [copy_json(o) for o in objs]
    if not objs:
        return []
    kinds = [_check_kind(o) for o in objs]
    _, last_counter, sim_now = _bump_counters(cluster, names=len(objs))
    now_s = format_time(sim_now)
    first_counter = last_counter - len(objs) + 1
    prepared = []
    generated: list[tuple[int, random.Random]] = []  # (index, its draw) for generateName objects
    additions: list | None = None  # what defaulting added to the first of `one_template`
    for i, (kind, obj) in enumerate(zip(kinds, objs)):
        res = resource_for(kind)
        meta = obj.setdefault("metadata", {}) or {}
        obj["metadata"] = meta
        rng = _draw(cluster, first_counter + i)
        meta["uid"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"][:MAX_GENERATE_NAME_BASE] + name_suffix(rng)
            generated.append((i, rng))
        if res.namespaced:
            meta["namespace"] = meta.get("namespace") or "default"
        else:
            meta.pop("namespace", None)
        meta["creationTimestamp"] = now_s
        for key in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"):
            meta.pop(key, None)
        if not all(isinstance(m, dict) and m.get("operation") == "Apply" for m in meta.get("managedFields") or []):
            meta.pop("managedFields")  # only server-side apply's ownership is kept (cluster.ownership)
        if kind in GENERATION_KINDS:
            meta["generation"] = 1
        if kind == "DaemonSet":
            meta.setdefault("annotations", {})[DAEMONSET_TEMPLATE_GENERATION] = "1"
        _reset_status_on_create(obj, now_s)
        if kind == "Pod":
            _admit_pod(obj)
        if trusted:
            prepared.append(obj)
        elif additions is not None and _add(obj, additions):
            prepared.append(obj)
        elif one_template and additions is None:
            checked = _validated(copy_json(obj))
            additions = _additions(obj, checked)
            prepared.append(checked)
        else:
            prepared.append(_validated(obj))
    _check_namespaces(cluster, prepared)
    _check_unique(cluster, prepared, dict(generated))
    if dry_run:
        return prepared
    rv_last, _, _ = _bump_counters(cluster, rvs=len(prepared))
    rv = rv_last - len(prepared)
    by_model: dict[type[KubeObject], list[dict]] = {}
    changes = []
    for obj in prepared:
        rv += 1
        obj["metadata"]["resourceVersion"] = str(rv)
        model = model_for(obj["kind"])
        by_model.setdefault(model, []).append(_row(cluster, model, obj))
        changes.append(_change(cluster, Change.ADDED, obj))
    memo: dict = {}
    for model, rows in by_model.items():
        insert_rows(model, rows, memo)
    _log(cluster, changes, [_touched(Change.ADDED, o) for o in prepared], memo)
    return prepared


def _additions(before, after, path: tuple = ()) -> list[tuple[tuple, object]] | None:
    """[(path, value)] for every key defaulting added (at any depth); None when it changed or
    removed anything."""
    if isinstance(before, dict) and isinstance(after, dict):
        if any(k not in after for k in before):
            return None
        found = []
        for k, v in after.items():
            if k not in before:
                found.append(((*path, k), v))
                continue
            sub = _additions(before[k], v, (*path, k))
            if sub is None:
                return None
            found += sub
        return found
    if isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            return None
        found = []
        for i, (b, a) in enumerate(zip(before, after)):
            sub = _additions(b, a, (*path, i))
            if sub is None:
                return None
            found += sub
        return found
    return [] if before == after else None


def _add(obj: dict, additions: list[tuple[tuple, object]]) -> bool:
    """Give obj the keys defaulting added to its template sibling; False where its shape differs."""
    for path, value in additions:
        target = obj
        try:
            for step in path[:-1]:
                target = target[step]
        except (KeyError, IndexError, TypeError):
            return False
        if not isinstance(target, dict):
            return False
        if path[-1] not in target:
            target[path[-1]] = copy_json(value)
    return True


def _check_namespaces(cluster: Cluster, objs: list[dict]) -> None:
    wanted = {o["metadata"]["namespace"] for o in objs if "namespace" in o["metadata"]}
    if not wanted:
        return
    created_here = {o["metadata"]["name"] for o in objs if o["kind"] == "Namespace"}
    known = set(
        model_for("Namespace").objects.filter(cluster=cluster, name__in=wanted).values_list("name", flat=True)
    )
    missing = sorted(wanted - known - created_here)
    if missing:
        raise NotFound.of("Namespace", missing[0])


GENERATE_NAME_ATTEMPTS = 8  # the API server's RetryGenerateName: the first try and 7 more


def _check_unique(cluster: Cluster, objs: list[dict], generated: dict[int, random.Random] | None = None) -> None:
    """AlreadyExists for a name taken (in the store or earlier in the batch). A generated name
    that collides is drawn again from the object's own draw, as the API server retries it."""
    generated = generated or {}
    for attempt in range(GENERATE_NAME_ATTEMPTS):
        taken = _taken(cluster, objs)
        if not taken:
            return
        fixed = [i for i in taken if i not in generated]
        if fixed or attempt == GENERATE_NAME_ATTEMPTS - 1:
            i = (fixed or taken)[0]
            raise AlreadyExists.of(objs[i]["kind"], objs[i]["metadata"]["name"])
        for i in taken:
            meta = objs[i]["metadata"]
            meta["name"] = meta["generateName"][:MAX_GENERATE_NAME_BASE] + name_suffix(generated[i])


def _taken(cluster: Cluster, objs: list[dict]) -> list[int]:
    """Indexes of the objects whose (kind, namespace, name) is stored or used earlier in the batch."""
    seen: set[tuple[str, str, str]] = set()
    taken: list[int] = []
    by_kind: dict[str, list[tuple[int, dict]]] = {}
    for i, obj in enumerate(objs):
        key = (obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        if key in seen:
            taken.append(i)
        seen.add(key)
        by_kind.setdefault(obj["kind"], []).append((i, obj))
    for kind, group in by_kind.items():
        names = {o["metadata"]["name"] for _, o in group}
        existing = set(
            model_for(kind)
            .objects.filter(cluster=cluster, name__in=names)
            .values_list("namespace", "name")
        )
        taken += [i for i, o in group if (o["metadata"].get("namespace", ""), o["metadata"]["name"]) in existing]
    return sorted(set(taken))


# --- update / patch ------------------------------------------------------------------------


def update(cluster: Cluster, obj: dict, *, subresource: str | None = None, dry_run: bool = False) -> dict:
    """Replace an object (PUT). A resourceVersion in the body must match the stored one."""
    kind = _check_kind(obj)
    meta = obj.get("metadata") or {}
    expected = meta.get("resourceVersion")

    def attempt() -> dict:
        current = get(cluster, kind, meta.get("namespace", "default"), meta.get("name", ""))
        if expected and str(expected) != str(current.resource_version):
            raise Conflict.of(kind, current.name)
        return update_many(cluster, [(current, obj)], subresource=subresource, dry_run=dry_run)[0]

    return attempt() if expected else _retrying(attempt)


@transaction.atomic
def update_many(
    cluster: Cluster,
    pairs: Iterable[tuple[KubeObject, dict]],
    *,
    subresource: str | None = None,
    dry_run: bool = False,
    trusted: bool = False,
) -> list[dict]:
    """Write new versions of stored objects. Unchanged objects are not written at all.
    (`trusted`: as for `create_many`: the new objects are neither validated again nor copied.)"""
    results: list[dict] = []
    pending: list[tuple[KubeObject, dict, dict]] = []
    for current, new in pairs:
        old = current.view()  # not changed below: merging copies what it changes
        if trusted:  # the caller built `new` for this call and hands it over
            new = {**new, "metadata": dict(new.get("metadata") or {})}
        elif subresource in ("status", "binding"):  # only the status (and nodeName) are taken
            new = {**new, "status": copy_json(new.get("status") or {})}
        else:
            new = copy_json(new)
        merged = _merge_for_update(old, new, subresource)
        if merged != old and subresource not in ("status", "binding"):
            merged = _bump_generation(merged if trusted else _validated(merged, old), old)
        if merged == old:
            results.append(old)
            continue
        pending.append((current, old, merged))
        results.append(merged)
    if dry_run or not pending:
        return results
    rv_last, _, sim_now = _bump_counters(cluster, rvs=len(pending))
    _ensure_fresh([current for current, _old, _merged in pending])
    rv = rv_last - len(pending)
    changes, touched, to_save, to_remove = [], [], [], []
    for current, _old, merged in pending:
        rv += 1
        merged["metadata"]["resourceVersion"] = str(rv)
        if _deletion_complete(merged):
            to_remove.append(current)
            merged_type = Change.DELETED
        else:
            to_save.append(_refresh(current, merged))
            merged_type = Change.MODIFIED
        changes.append(_change(cluster, merged_type, merged))
        touched.append(_touched(merged_type, merged))
    memo: dict = {}
    _save(to_save, memo)
    _remove(to_remove)
    _log(cluster, changes, touched, memo)
    return results


def update_status(obj: KubeObject, status: dict) -> dict:
    """A controller's status write; a no-op when nothing changed."""
    new = obj.to_dict()
    new["status"] = status
    return update_many(obj.cluster, [(obj, new)], subresource="status")[0]


def _merge_for_update(old: dict, new: dict, subresource: str | None) -> dict:
    """Carry over what a client cannot change through this endpoint, and bump generation."""
    new.setdefault("metadata", {})
    meta = new["metadata"]
    old_meta = old["metadata"]
    # A status or binding write keeps the rest of old, shared (metadata is copied one level
    # deep: it gets a new resourceVersion).
    if subresource == "status":
        return {**old, "metadata": dict(old_meta), "status": new.get("status") or {}}
    if subresource == "binding":  # pods/binding: the scheduler sets the node (and PodScheduled)
        spec = {**(old.get("spec") or {}), "nodeName": (new.get("spec") or {}).get("nodeName")}
        return {**old, "metadata": dict(old_meta), "spec": spec, "status": new.get("status") or {}}
    for key in ("uid", "creationTimestamp", "namespace", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"):
        if key in old_meta:
            meta[key] = old_meta[key]
        else:
            meta.pop(key, None)
    if "managedFields" not in meta and "managedFields" in old_meta:
        meta["managedFields"] = old_meta["managedFields"]  # a writer that does not send them keeps them
    meta["name"] = old_meta["name"]
    meta["resourceVersion"] = old_meta["resourceVersion"]
    if old["kind"] in ("Event",):
        return new
    if old["kind"] != "ControllerRevision":
        new["status"] = old.get("status", {})
        new.setdefault("spec", {})
    return new


# The kinds whose API strategy keeps `metadata.generation` in 1.32 (pods only from 1.33 on).
GENERATION_KINDS = {"DaemonSet", "Job", "CronJob"}


def _bump_generation(new: dict, old: dict) -> dict:
    """`metadata.generation` +1 when the (defaulted) spec changed; DaemonSets also count
    template changes in their template-generation annotation."""
    if new["kind"] == "DaemonSet":
        new = manifests.next_template_generation(new, old)
    if new["kind"] in GENERATION_KINDS and _spec_of(new) != _spec_of(old):
        new["metadata"]["generation"] = int(old["metadata"].get("generation") or 1) + 1
    return new


def patch(
    cluster: Cluster,
    kind: str,
    namespace: str,
    name: str,
    body,
    *,
    patch_type: str = "merge",
    subresource: str | None = None,
    dry_run: bool = False,
    field_manager: str | None = None,
    force: bool = False,
) -> dict:
    """Patch an object: `merge` (RFC 7386), `json` (RFC 6902), `strategic` or `apply` (server-side
    apply by `field_manager`, with field ownership: `cluster.ownership`)."""
    from cluster import ownership, patching

    if patch_type == "apply" and subresource is None and not field_manager:
        raise InvalidOptions.field_required("PatchOptions", "fieldManager", "is required for apply patch")

    def attempt() -> dict:
        current = get(cluster, kind, namespace, name)
        base = current.to_dict()
        if patch_type == "apply" and subresource is None and isinstance(body, dict):
            base = ownership.apply(base, body, manager=field_manager, force=force, now=format_time(now(cluster)))
        new = patching.apply_patch(base, body, patch_type)
        expected = (new.get("metadata") or {}).get("resourceVersion")
        if expected and str(expected) != str(current.resource_version):
            raise Conflict.of(kind, name)
        return update_many(cluster, [(current, new)], subresource=subresource, dry_run=dry_run)[0]

    return _retrying(attempt)


# --- delete --------------------------------------------------------------------------------


def delete(
    cluster: Cluster,
    kind: str,
    namespace: str,
    name: str,
    *,
    grace_period_seconds: int | None = None,
    propagation_policy: str | None = None,
    dry_run: bool = False,
) -> dict:
    """Delete an object as the API server does.

    Pods bound to a node delete gracefully: they get a deletionTimestamp and stay (STATUS
    Terminating) until the kubelet has stopped them. An object with finalizers stays until its
    finalizers are removed. `Foreground` adds the `foregroundDeletion` finalizer; `Orphan`
    removes this owner from its dependants' ownerReferences; `Background` (the default) leaves
    the dependants to the garbage collector.
    """
    if kind == "Namespace" and name in ("default", "kube-system", "kube-public", "kube-node-lease"):
        raise Forbidden(f'namespaces "{name}" is forbidden: this namespace may not be deleted',
                        details={"name": name, "kind": "namespaces"})
    return _retrying(lambda: delete_many(
        cluster,
        [get(cluster, kind, namespace, name)],
        grace_period_seconds=grace_period_seconds,
        propagation_policy=propagation_policy,
        dry_run=dry_run,
    )[0])


@transaction.atomic
def delete_many(
    cluster: Cluster,
    objs: Iterable[KubeObject],
    *,
    grace_period_seconds: int | None = None,
    propagation_policy: str | None = None,
    dry_run: bool = False,
) -> list[dict]:
    objs = list(objs)
    if not objs:
        return []
    sim_now = now(cluster)
    results, removals, modifications = [], [], []
    for current in objs:
        obj = current.to_dict()
        before = current.view()
        meta = obj["metadata"]
        grace = _grace_period(obj, grace_period_seconds)
        if propagation_policy == "Foreground" and "foregroundDeletion" not in (meta.get("finalizers") or []):
            meta.setdefault("finalizers", []).append("foregroundDeletion")
        if meta.get("deletionTimestamp"):
            if obj["kind"] == "Pod" and grace is not None and grace < int(meta.get("deletionGracePeriodSeconds", 0)):
                meta["deletionGracePeriodSeconds"] = grace  # a shorter grace period wins
                meta["deletionTimestamp"] = format_time(sim_now + timedelta(seconds=grace))
        else:
            meta["deletionTimestamp"] = format_time(sim_now + timedelta(seconds=grace or 0))
            if obj["kind"] == "Pod":
                meta["deletionGracePeriodSeconds"] = grace or 0
            elif meta.get("finalizers"):
                meta["deletionGracePeriodSeconds"] = 0
        if _deletion_complete(obj):
            removals.append((current, obj))
        elif obj != before:
            modifications.append((current, obj))
        results.append(obj)  # an object already being deleted as asked: nothing to write
    if dry_run:
        return results
    if propagation_policy == "Orphan":
        _orphan_dependants(cluster, [c for c, _ in removals + modifications])
    written = len(removals) + len(modifications)
    if not written:
        return results
    rv_last, _, _ = _bump_counters(cluster, rvs=written)
    _ensure_fresh([c for c, _ in removals + modifications])
    rv = rv_last - written
    changes, touched = [], []
    for current, obj in removals:
        rv += 1
        obj["metadata"]["resourceVersion"] = str(rv)
        changes.append(_change(cluster, Change.DELETED, obj))
        touched.append(_touched(Change.DELETED, obj))
    to_save = []
    for current, obj in modifications:
        rv += 1
        obj["metadata"]["resourceVersion"] = str(rv)
        to_save.append(_refresh(current, obj))
        changes.append(_change(cluster, Change.MODIFIED, obj))
        touched.append(_touched(Change.MODIFIED, obj))
    memo: dict = {}
    _remove([c for c, _ in removals])
    _save(to_save, memo)
    _log(cluster, changes, touched, memo)
    return results


def _grace_period(obj: dict, requested: int | None) -> int | None:
    """Pods that are not running anywhere, or have finished, go at once (as the pod strategy)."""
    if obj["kind"] != "Pod":
        return requested
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
        return 0
    if requested is not None:
        return requested
    return int(spec.get("terminationGracePeriodSeconds", 30))


def _deletion_complete(obj: dict) -> bool:
    meta = obj["metadata"]
    if not meta.get("deletionTimestamp") or meta.get("finalizers"):
        return False
    return obj["kind"] != "Pod" or int(meta.get("deletionGracePeriodSeconds", 0)) == 0


def _orphan_dependants(cluster: Cluster, owners: list[KubeObject]) -> None:
    uids = {o.uid for o in owners}
    for model in MODELS.values():
        dependants = list(model.objects.filter(cluster=cluster, owner_uid__in=uids))
        pairs = []
        for dep in dependants:
            new = dep.to_dict()
            refs = [r for r in new["metadata"].get("ownerReferences", []) if r.get("uid") not in uids]
            if refs:
                new["metadata"]["ownerReferences"] = refs
            else:
                new["metadata"].pop("ownerReferences", None)
            pairs.append((dep, new))
        update_many(cluster, pairs)


# --- the change log ------------------------------------------------------------------------

CHANGE_LOG_KEEP = 50_000


def compact(cluster: Cluster, keep: int = CHANGE_LOG_KEEP) -> int:
    """Forget change-log rows older than the newest `keep` (a watch from before gets 410 Expired)."""
    newest = Cluster.objects.values_list("resource_version", flat=True).get(pk=cluster.pk)
    deleted, _ = Change.objects.filter(cluster=cluster, resource_version__lte=newest - keep).delete()
    return deleted


EVENT_TTL = timedelta(hours=1)  # kube-apiserver --event-ttl


def expire_events(cluster: Cluster, ttl: timedelta = EVENT_TTL) -> int:
    """Delete events last seen more than `ttl` ago on the cluster's clock, as the API server does."""
    from cluster.models import Event

    old = list(Event.objects.filter(cluster=cluster, last_timestamp__lt=now(cluster) - ttl)[:5000])
    delete_many(cluster, old)
    return len(old)


# --- events --------------------------------------------------------------------------------


def record_event(
    cluster: Cluster,
    involved: dict,
    type_: str,
    reason: str,
    message: str,
    *,
    component: str,
) -> None:
    """Record a core/v1 Event about `involved`, counting repeats as the event recorder does."""
    record_events(cluster, [(involved, type_, reason, message)], component=component)


# The event recorder's correlator (client-go `EventAggregator`): once an object has had
# AGGREGATE_MAX_EVENTS events of the same type and reason from the same component, with different
# messages, within AGGREGATE_INTERVAL, further ones are folded into one event whose message
# starts with AGGREGATE_PREFIX and whose count goes up. (The correlator's spam filter, a token
# bucket of 25 events per object, is not modelled: no event is dropped here.)
AGGREGATE_MAX_EVENTS = 10
AGGREGATE_INTERVAL = timedelta(seconds=600)
AGGREGATE_PREFIX = "(combined from similar events): "


@transaction.atomic
def record_events(cluster: Cluster, items: list[tuple[dict, str, str, str]], *, component: str) -> None:
    """Record core/v1 Events as the event recorder does: an identical event bumps the count of
    the one recorded before, and many similar ones are aggregated (see AGGREGATE_MAX_EVENTS)."""
    from cluster.models import Event

    if not items:
        return
    sim_now, counter = Cluster.objects.values_list("sim_now", "name_counter").get(pk=cluster.pk)
    now_s = format_time(sim_now)
    # Event names are "<object>.<hex>" (the recorder uses the time in nanoseconds); the name
    # counter keeps two batches at the same simulated instant apart.
    stamp = int(sim_now.timestamp()) * 10**9 + counter * 1000
    uids = {inv["metadata"]["uid"] for inv, *_ in items}
    reasons = {reason for _, _, reason, _ in items}
    recent = sim_now - AGGREGATE_INTERVAL
    rows: dict[tuple, Event] = {}  # (uid, reason, message, component) -> stored event
    similar: dict[tuple, set[str]] = {}  # (uid, type, reason, component) -> recent messages
    for e in Event.objects.filter(cluster=cluster, involved_uid__in=uids, reason__in=reasons):
        source = e.body.get("source", {}).get("component")
        message = e.body.get("message")
        rows[(e.involved_uid, e.reason, message, source)] = e
        if e.last_timestamp and e.last_timestamp >= recent:
            group = similar.setdefault((e.involved_uid, e.type, e.reason, source), set())
            group.add(AGGREGATE_PREFIX if message and message.startswith(AGGREGATE_PREFIX) else message)
    created: dict[tuple, dict] = {}  # this batch's new events, by the same key as `rows`
    repeats: dict[int, tuple[Event, dict]] = {}
    aggregates: dict[tuple, tuple] = {}  # group -> key of its aggregate event
    for i, (involved, type_, reason, message) in enumerate(items):
        meta = involved["metadata"]
        group = (meta["uid"], type_, reason, component)
        seen = similar.setdefault(group, set())
        key = (meta["uid"], reason, message, component)
        if AGGREGATE_PREFIX not in seen and key not in rows and key not in created:
            seen.add(message)
            if len(seen) >= AGGREGATE_MAX_EVENTS:
                seen.add(AGGREGATE_PREFIX)
        if AGGREGATE_PREFIX in seen:
            text = AGGREGATE_PREFIX + message
            key = aggregates.get(group) or next(
                (k for k in list(rows) + list(created) if k[0] == group[0] and k[1] == reason
                 and k[3] == component and (k[2] or "").startswith(AGGREGATE_PREFIX)), None)
            aggregates[group] = key = key or (meta["uid"], reason, text, component)
        else:
            text = message
        if key in created:
            body = created[key]
        elif key in rows:
            found = rows[key]
            found_key = found.pk
            body = repeats[found_key][1] if found_key in repeats else found.to_dict()
            repeats[found_key] = (found, body)
        else:
            created[key] = {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {
                    "name": f"{meta['name']}.{stamp + i:x}",
                    "namespace": meta.get("namespace") or "default",
                },
                "involvedObject": {
                    "kind": involved["kind"],
                    "namespace": meta.get("namespace", ""),
                    "name": meta["name"],
                    "uid": meta["uid"],
                    "apiVersion": involved["apiVersion"],
                    "resourceVersion": meta.get("resourceVersion", ""),
                },
                "reason": reason,
                "message": text,
                "source": {"component": component},
                "firstTimestamp": now_s,
                "lastTimestamp": now_s,
                "count": 1,
                "type": type_,
                "reportingComponent": component,
                "reportingInstance": "",
            }
            continue
        body["count"] = int(body.get("count", 1)) + 1
        body["lastTimestamp"] = now_s
        body["message"] = text
    if created:
        create_many(cluster, list(created.values()), trusted=True)
    if repeats:
        update_many(cluster, list(repeats.values()), trusted=True)


# --- writing -------------------------------------------------------------------------------


def _change(cluster: Cluster, type_: str, obj: dict) -> dict:
    """A change-log row (column values by attribute name)."""
    meta = obj["metadata"]
    return {
        "cluster_id": cluster.pk,
        "resource_version": int(meta["resourceVersion"]),
        "type": type_,
        "kind": obj["kind"],
        "namespace": meta.get("namespace", ""),
        "name": meta["name"],
        "uid": meta["uid"],
        "object": obj,
    }


def _row(cluster: Cluster, model: type[KubeObject], obj: dict) -> dict:
    """An object's row (column values by attribute name) for `insert_rows`."""
    return {"cluster_id": cluster.pk, **_columns(model, obj)}


# How a column's value becomes what the driver wants. Django's own adaptation, except for the
# hot cases on SQLite (JSON text, ISO datetimes, plain values), decided once per column.
AS_IS, JSON_TEXT, DATETIME, DJANGO = range(4)
_PLAIN = {"CharField", "BigIntegerField", "IntegerField", "BooleanField", "FloatField", "ForeignKey",
          "PositiveIntegerField", "SmallIntegerField", "TextField"}
_ADAPTERS: dict[tuple, list] = {}


def _adapters(model, fields) -> list[tuple]:
    key = (model, connection.vendor, tuple(f.attname for f in fields))
    found = _ADAPTERS.get(key)
    if found is None:
        found = []
        for f in fields:
            how = DJANGO
            if connection.vendor == "sqlite":
                internal = f.get_internal_type()
                how = JSON_TEXT if internal == "JSONField" else DATETIME if internal == "DateTimeField" \
                    else AS_IS if internal in _PLAIN else DJANGO
            default = f.get_default() if f.has_default() else None
            found.append((f.attname, how, f, default))
        _ADAPTERS[key] = found
    return found


def _json_text(value, memo: dict) -> str:
    """JSON text of a value, remembering it by identity for this batch (the change-log row of
    an object then reuses its metadata, spec and status texts instead of encoding them again).
    A value shared with a read view (`cluster.reading`) has its stored text already."""
    key = id(value)
    text = memo.get(key) or reading.text_of(value)
    if text is None:
        text = json.dumps(value)
    memo[key] = text
    return text


_KEY_TEXT: dict[str, str] = {}


def _object_json(obj: dict, memo: dict) -> str:
    """JSON text of an object whose parts were encoded already for its row (see `_json_text`);
    when some part was not (an event's body fields), encoding it whole is quicker."""
    parts = []
    for k, v in obj.items():
        key = _KEY_TEXT.get(k)
        if key is None:
            key = json.dumps(k)
            if len(_KEY_TEXT) < 10_000:
                _KEY_TEXT[k] = key
        if isinstance(v, (dict, list)):
            text = memo.get(id(v)) or reading.text_of(v)
            if text is None:
                return json.dumps(obj)
            parts.append(f"{key}: {text}")
        else:
            parts.append(f"{key}: {json.dumps(v)}")
    return "{" + ", ".join(parts) + "}"


def _params(model, fields, values: list, get, memo: dict) -> list[list]:
    ops = connection.ops
    adapters = _adapters(model, fields)
    out = []
    for item in values:
        row = []
        for attname, how, field, default in adapters:
            v = get(item, attname, default)
            if v is None:
                row.append(None)
            elif how == AS_IS:
                row.append(v)
            elif how == JSON_TEXT:
                row.append(_object_json(v, memo) if model is Change else _json_text(v, memo))
            elif how == DATETIME:
                row.append(ops.adapt_datetimefield_value(v))
            else:
                row.append(field.get_db_prep_save(v, connection))
        out.append(row)
    return out


def _from_dict(item: dict, attname: str, default):
    return item.get(attname, default)


def _columns_of(model) -> list:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def insert_rows(model, rows: list[dict], memo: dict | None = None) -> None:
    """One INSERT executed for every row (bulk_create's per-field compilation is the slow part).
    Rows are column values by attribute name (`cluster_id`, not `cluster`); a column left out
    gets its field's explicit default, else NULL. Also used for the controllers' own records
    (decisions, Job attempts): Kubernetes objects are written only through `create`/`update`."""
    if not rows:
        return
    fields = _columns_of(model)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({names}) VALUES ({marks})"
    params = _params(model, fields, rows, _from_dict, {} if memo is None else memo)
    with connection.cursor() as cur:
        cur.executemany(sql, params)


def _model_of(row) -> type[KubeObject]:
    """A model instance's class, or the model of a `cluster.reading.Stored` handle."""
    return getattr(row, "model", None) or type(row)


def _refresh(current, obj: dict) -> tuple[type[KubeObject], int, dict]:
    """Keep the caller's row (model instance or Stored handle) current with what is written;
    returns what `_save` writes."""
    model = _model_of(current)
    columns = _columns(model, obj)
    if isinstance(current, KubeObject):
        for field, value in columns.items():
            setattr(current, field, value)
    else:
        current.resource_version, current.obj = columns["resource_version"], obj
    return model, current.pk, columns


def _save(rows: list[tuple[type[KubeObject], int, dict]], memo: dict | None = None) -> None:
    """One `UPDATE ... WHERE id = %s` executed for every row (bulk_update's CASE is far slower)."""
    by_model: dict[type[KubeObject], list[tuple[int, dict]]] = {}
    for model, pk, columns in rows:
        by_model.setdefault(model, []).append((pk, columns))
    memo = {} if memo is None else memo
    for model, group in by_model.items():
        fields = [f for f in _columns_of(model) if f.name != "cluster"]
        assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
        sql = f"UPDATE {connection.ops.quote_name(model._meta.db_table)} SET {assignments} WHERE id = %s"
        params = _params(model, fields, [columns for _, columns in group], _from_dict, memo)
        for (pk, _), values in zip(group, params):
            values.append(pk)
        with connection.cursor() as cur:
            cur.executemany(sql, params)


class Stale(Conflict):
    """The row changed since the caller read it (another writer committed in between)."""


def _ensure_fresh(rows: list[KubeObject]) -> None:
    """Every writer of a cluster holds its counter row's lock from `_bump_counters` to commit,
    so what is stored now cannot change under us: compare it with what the caller read."""
    by_model: dict[type[KubeObject], dict[int, KubeObject]] = {}
    for row in rows:
        by_model.setdefault(_model_of(row), {})[row.pk] = row
    for model, group in by_model.items():
        stored = dict(model.objects.filter(pk__in=group).values_list("pk", "resource_version"))
        for pk, row in group.items():
            if stored.get(pk) != row.resource_version:
                raise Stale.of(row.kind, row.name)


def _retrying(fn, attempts: int = 5):
    """Run fn(), re-reading and retrying when another writer got there first (as the API
    server's GuaranteedUpdate does for writes without a resourceVersion precondition)."""
    for attempt in range(attempts):
        try:
            return fn()
        except Stale:
            if attempt == attempts - 1:
                raise


def _remove(rows: list[KubeObject]) -> None:
    by_model: dict[type[KubeObject], list[int]] = {}
    for row in rows:
        by_model.setdefault(_model_of(row), []).append(row.pk)
    for model, pks in by_model.items():
        model.objects.filter(pk__in=pks).delete()


def _log(cluster: Cluster, changes: list[dict], touched: list[Touched], memo: dict | None = None) -> None:
    insert_rows(Change, changes, memo)
    for fn in _in_transaction:
        fn(cluster, touched)
    cluster_id = cluster.pk
    transaction.on_commit(lambda: _announce(cluster_id, touched))
