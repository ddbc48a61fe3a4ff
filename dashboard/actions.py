"""What the dashboard's buttons do: thin wrappers over the teacher actions (`controllers.chaos`),
the clock (`controllers.simulation`) and the store, each returning what happened plus the
kubectl command a student would type, and each recorded in the Explain feed as a person's
decision. Nothing here creates or deletes pods for a controller: buttons change spec, nodes and
time, and the controllers answer.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from cluster import manifests, store
from cluster.errors import ApiError, NotFound
from cluster.kinds import UnknownResource, resource_for, resource_for_manifest
from cluster.kubectl import set_images
from cluster.models import Cluster, ControllerRevision, DaemonSet, Job
from cluster.patching import LAST_APPLIED, three_way_patch
from controllers import chaos, simulation
from dashboard import live

EXAMPLES_DIR = Path(settings.BASE_DIR) / "examples"
EXAMPLES = {
    "daemonset": ("my-first-daemonset.yaml", "The chapter's DaemonSet"),
    "job": ("hello-world-job.yaml", "The chapter's Job"),
}
FAILING_JOB = (EXAMPLES_DIR / "hello-world-failing-job.yaml").read_text()  # the chapter's Job, failing


@dataclass
class Result:
    message: str
    kubectl: str = ""
    error: bool = False
    lines: list[str] = field(default_factory=list)


def example_text(key: str) -> str:
    if key == "failing-job":
        return FAILING_JOB
    filename, _ = EXAMPLES[key]
    return (EXAMPLES_DIR / filename).read_text(encoding="utf-8")


def record(cluster: Cluster, user, verb: str, message: str, kubectl: str = "", *, kind: str = "",
           namespace: str = "", name: str = "", node: str = "") -> None:
    """A person's action in the Explain feed (actor = their user name), with its kubectl command."""
    from controllers.models import Decision

    who = user.get_username() if user is not None and user.is_authenticated else "someone"
    text = message + (f"\n$ {kubectl}" if kubectl else "")
    Decision.objects.create(cluster=cluster, time=store.now(cluster), controller=f"user:{who}", verb=verb,
                            message=text, kind=kind, namespace=namespace, name=name, node=node)
    transaction.on_commit(lambda: live.send(cluster.pk, {"explain"}))


def _done(cluster, user, verb, done: chaos.Done, **where) -> Result:
    record(cluster, user, verb, done.message, done.kubectl, **where)
    return Result(done.message, done.kubectl)


def _guard(fn):
    """Turn the store's and the chaos functions' errors into a Result with Kubernetes' message."""
    def wrapper(*args, **kwargs) -> Result:
        try:
            return fn(*args, **kwargs)
        except ApiError as exc:
            return Result(exc.kubectl_message(), error=True)
        except (ValueError, KeyError) as exc:
            return Result(f"error: {exc}", error=True)
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


# --- nodes -----------------------------------------------------------------------------------------


def parse_labels(text: str) -> dict[str, str]:
    labels = {}
    for part in (text or "").replace("\n", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise ValueError(f'invalid label "{part}": expected key=value')
        key, value = part.split("=", 1)
        labels[key.strip()] = value.strip()
    return labels


def parse_taints(text: str) -> list[dict]:
    """`key=value:Effect, key:Effect` as `kubectl taint` writes them."""
    taints = []
    for part in (text or "").replace("\n", ",").split(","):
        part = part.strip()
        if not part:
            continue
        spec, sep, effect = part.rpartition(":")
        if not sep or effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            raise ValueError(f'invalid taint spec "{part}": use key[=value]:NoSchedule|PreferNoSchedule|NoExecute')
        key, _, value = spec.partition("=")
        taints.append({"key": key, "effect": effect, **({"value": value} if value else {})})
    return taints


@_guard
def add_node(cluster, user, name: str, labels: str = "", taints: str = "", capacity: int = 110) -> Result:
    name = name.strip()
    if not name:
        raise ValueError("a node needs a name")
    done = chaos.add_node(cluster, name, labels=parse_labels(labels), taints=parse_taints(taints), pods=int(capacity))
    return _done(cluster, user, "add node", done, kind="Node", name=name, node=name)


NODE_ACTIONS = {
    "remove": (chaos.remove_node, "remove node"),
    "cordon": (chaos.cordon, "cordon"),
    "uncordon": (chaos.uncordon, "uncordon"),
    "fail": (chaos.fail_node, "fail node"),
    "partition": (chaos.partition_node, "partition"),
    "recover": (chaos.recover_node, "recover"),
}


@_guard
def node_action(cluster, user, op: str, name: str) -> Result:
    fn, verb = NODE_ACTIONS[op]
    return _done(cluster, user, verb, fn(cluster, name), kind="Node", name=name, node=name)


@_guard
def label_node(cluster, user, name: str, key: str, value: str, remove: bool = False) -> Result:
    if not key.strip():
        raise ValueError("a label needs a key")
    done = chaos.label_node(cluster, name, key.strip(), None if remove else value.strip())
    return _done(cluster, user, "label", done, kind="Node", name=name, node=name)


@_guard
def taint_node(cluster, user, name: str, key: str, value: str, effect: str, remove: bool = False) -> Result:
    if not key.strip():
        raise ValueError("a taint needs a key")
    if effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
        raise ValueError(f'invalid taint effect "{effect}"')
    done = chaos.taint_node(cluster, name, key.strip(), value.strip(), effect, remove=remove)
    return _done(cluster, user, "taint", done, kind="Node", name=name, node=name)


# --- pods ----------------------------------------------------------------------------------------------


@_guard
def kill_pod(cluster, user, namespace: str, name: str) -> Result:
    pod = store.get(cluster, "Pod", namespace, name)
    done = chaos.kill_pod(cluster, namespace, name)
    return _done(cluster, user, "kill pod", done, kind="Pod", namespace=namespace, name=name, node=pod.node_name)


@_guard
def crash_container(cluster, user, namespace: str, name: str, container: str = "") -> Result:
    pod = store.get(cluster, "Pod", namespace, name)
    done = chaos.crash_container(cluster, namespace, name, container or None)
    return _done(cluster, user, "crash", done, kind="Pod", namespace=namespace, name=name, node=pod.node_name)


# --- manifests -----------------------------------------------------------------------------------------


def _stamp_last_applied(doc: dict) -> dict:
    annotated = json.loads(json.dumps(doc))
    annotations = annotated.setdefault("metadata", {}).setdefault("annotations", {}) or {}
    annotated["metadata"]["annotations"] = annotations
    clean = json.loads(json.dumps(doc))
    ((clean.get("metadata") or {}).get("annotations") or {}).pop(LAST_APPLIED, None)
    annotations[LAST_APPLIED] = json.dumps(clean, separators=(",", ":"), sort_keys=True) + "\n"
    return annotated


def _ref(obj: dict) -> str:
    return f"{resource_for(obj['kind']).kubectl_name}/{obj['metadata']['name']}"


def apply_yaml(cluster, user, text: str, *, namespace: str = "default") -> Result:
    """`kubectl apply -f -`: create what is new, three-way patch what exists. Each document is
    applied on its own; errors are kubectl's words, one line per failed document."""
    try:
        docs = manifests.parse_documents(text, source="STDIN")
    except manifests.ManifestError as exc:
        return Result(f"error: {exc}", "kubectl apply -f -", error=True, lines=[f"error: {exc}"])
    if not docs:
        return Result("error: no objects passed to apply", "kubectl apply -f -", error=True,
                      lines=["error: no objects passed to apply"])
    lines, failed = [], False
    for doc in docs:
        verb = "applying"
        try:
            try:
                res = resource_for_manifest(doc.get("apiVersion", ""), doc.get("kind", ""))
            except UnknownResource as exc:
                raise ValueError(str(exc)) from None
            doc.setdefault("metadata", {})
            if res.namespaced:
                doc["metadata"]["namespace"] = doc["metadata"].get("namespace") or namespace
            name = doc["metadata"].get("name")
            if not name:
                raise ValueError("error when retrieving current configuration: resource name may not be empty")
            ns = doc["metadata"].get("namespace", "")
            with transaction.atomic():
                try:
                    live_obj = store.get(cluster, res.kind, ns, name).to_dict()
                except NotFound:
                    verb = "creating"
                    store.create(cluster, _stamp_last_applied(doc))
                    lines.append(f"{_ref(doc)} created")
                    continue
                original_text = (live_obj["metadata"].get("annotations") or {}).get(LAST_APPLIED)
                original = json.loads(original_text) if original_text else None
                patch = three_way_patch(original, _stamp_last_applied(doc), live_obj)
                if not patch:
                    lines.append(f"{_ref(doc)} unchanged")
                    continue
                store.patch(cluster, res.kind, ns, name, patch, patch_type="strategic")
                lines.append(f"{_ref(doc)} configured")
        except ApiError as exc:
            failed = True
            lines.append(exc.kubectl_message() if exc.reason == "Invalid"
                         else f'Error from server ({exc.reason}): error when {verb} "STDIN": {exc.message}')
        except ValueError as exc:
            failed = True
            text_ = str(exc)
            lines.append(text_ if text_.startswith("error") else f"error: {text_}")
    ok = [line for line in lines if line.endswith(("created", "configured", "unchanged"))]
    if ok:
        record(cluster, user, "apply", "Applied a manifest: " + "; ".join(ok), "kubectl apply -f -")
    return Result("\n".join(lines), "kubectl apply -f -", error=failed, lines=lines)


# --- workloads ---------------------------------------------------------------------------------------------


@_guard
def set_ds_image(cluster, user, namespace: str, name: str, container: str, image: str) -> Result:
    image = image.strip()
    if not image:
        raise ValueError("an image is required")
    obj = store.get(cluster, "DaemonSet", namespace, name).to_dict()
    container = container or obj["spec"]["template"]["spec"]["containers"][0]["name"]
    if set_images(obj, {container: image}):
        store.update(cluster, obj)
    kubectl = f"kubectl set image ds/{name} {container}={image}" + (f" -n {namespace}" if namespace != "default" else "")
    record(cluster, user, "update", f"Set the image of {name} to {image}: a new revision, so the controller rolls it out node by node",
           kubectl, kind="DaemonSet", namespace=namespace, name=name)
    return Result(f"daemonset.apps/{name} image updated", kubectl)


@_guard
def set_ds_node_selector(cluster, user, namespace: str, name: str, selector: str) -> Result:
    labels = parse_labels(selector)
    row = store.get(cluster, "DaemonSet", namespace, name)
    obj = row.to_dict()
    spec = obj["spec"]["template"]["spec"]
    if labels:
        spec["nodeSelector"] = labels
    else:
        spec.pop("nodeSelector", None)
    store.update(cluster, obj)
    patch = json.dumps({"spec": {"template": {"spec": {"nodeSelector": labels or None}}}}, separators=(",", ":"))
    kubectl = f"kubectl patch ds {name} -p '{patch}'"
    words = ", ".join(f"{k}={v}" for k, v in labels.items()) or "none"
    record(cluster, user, "update", f"Set the nodeSelector of {name} to {words}", kubectl,
           kind="DaemonSet", namespace=namespace, name=name)
    return Result(f"daemonset.apps/{name} patched", kubectl)


@_guard
def rollback_ds(cluster, user, namespace: str, name: str, revision: int) -> Result:
    row = store.get(cluster, "DaemonSet", namespace, name)
    target = next((r for r in ControllerRevision.objects.filter(cluster=cluster, owner_uid=row.uid)
                   if int(r.revision) == int(revision)), None)
    if target is None:
        raise ValueError(f"unable to find specified revision {revision} in history")
    template = dict(((target.data or {}).get("spec") or {}).get("template") or {})
    template.pop("$patch", None)
    obj = row.to_dict()
    obj["spec"]["template"] = template
    store.update(cluster, obj)
    kubectl = f"kubectl rollout undo ds/{name} --to-revision={revision}"
    record(cluster, user, "rollback", f"Rolled {name} back to revision {revision}'s template", kubectl,
           kind="DaemonSet", namespace=namespace, name=name)
    return Result(f"daemonset.apps/{name} rolled back", kubectl)


@_guard
def delete_object(cluster, user, kind: str, namespace: str, name: str) -> Result:
    res = resource_for(kind)
    store.delete(cluster, kind, namespace if res.namespaced else "", name,
                 propagation_policy="Background")
    kubectl = f"kubectl delete {res.singular} {name}" + (f" -n {namespace}" if res.namespaced and namespace != "default" else "")
    record(cluster, user, "delete", f"Deleted {kind} {name}", kubectl, kind=kind, namespace=namespace, name=name)
    return Result(f'{res.kubectl_name} "{name}" deleted', kubectl)


@_guard
def suspend(cluster, user, kind: str, namespace: str, name: str, value: bool) -> Result:
    store.patch(cluster, kind, namespace, name, {"spec": {"suspend": value}}, patch_type="merge")
    word = "true" if value else "false"
    res = resource_for(kind)
    kubectl = f"kubectl patch {res.singular} {name} --type=merge -p '{{\"spec\":{{\"suspend\":{word}}}}}'"
    verb = "suspend" if value else "resume"
    record(cluster, user, verb, f"{'Suspended' if value else 'Resumed'} {kind} {name}", kubectl,
           kind=kind, namespace=namespace, name=name)
    return Result(f"{res.kubectl_name}/{name} patched", kubectl)


# --- the clock ---------------------------------------------------------------------------------------------


def _sim(cluster, args: str) -> str:
    """The command line that does what a clock button does (`manage.py sim`)."""
    return f"python manage.py sim {args}" + (f" --cluster {cluster.name}" if cluster.name != "default" else "")


@_guard
def clock(cluster, user, op: str, *, speed: str = "", by: str = "") -> Result:
    if op == "pause":
        simulation.pause(cluster)
        result = Result("Paused the simulated clock: nothing moves until you step or resume", _sim(cluster, "pause"))
    elif op == "resume":
        simulation.resume(cluster)
        result = Result("Resumed the simulated clock", _sim(cluster, "resume"))
    elif op == "step":
        ran = simulation.step(cluster)
        result = Result("Stepped: ran the next due reconcile" if ran else "Nothing is queued: no step to take",
                        _sim(cluster, "step"))
    elif op == "speed":
        value = float(speed)
        if not 1 <= value <= 100:
            raise ValueError("speed must be between 1x and 100x")
        simulation.set_speed(cluster, value)
        result = Result(f"Speed {value:g}x", _sim(cluster, f"speed {value:g}"))
    elif op == "advance":
        steps = simulation.advance(cluster, simulation.parse_duration(by or "1m"))
        result = Result(f"Fast-forwarded {by or '1m'} ({steps} step(s))", _sim(cluster, f"advance {by or '1m'}"))
    else:
        raise ValueError(f"unknown clock operation {op}")
    if op != "step":
        record(cluster, user, op, result.message, result.kubectl)
    live.send(cluster.pk, {"clock", "explain", "caption"})
    return result


def workload_exists(cluster, kind: str, namespace: str, name: str) -> bool:
    model = {"DaemonSet": DaemonSet, "Job": Job}.get(kind)
    return bool(model and model.objects.filter(cluster=cluster, namespace=namespace, name=name).exists())
