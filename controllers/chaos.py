"""Teacher actions on the cluster: one module for the admin, the command line and the dashboard.

Each action writes through the store (or, for what a kubelet would report, as the kubelet),
and returns what happened plus the `kubectl` command a student would type for it.
"""
from __future__ import annotations

from dataclasses import dataclass

from cluster import store
from cluster.bootstrap import node_manifest
from cluster.models import Cluster, Node, Pod
from cluster.timeutil import format_time
from controllers import queue
from controllers.kubelet import PodRun
from controllers.lifecycle import NODE_MONITOR_GRACE_SECONDS
from controllers.models import ControllerMemory


@dataclass(frozen=True)
class Done:
    message: str
    kubectl: str


def add_node(cluster: Cluster, name: str, *, labels: dict | None = None, taints: list | None = None,
             pods: int = 110) -> Done:
    store.create(cluster, node_manifest(name, labels=labels, taints=taints, pods=pods))
    return Done(f"Added node {name}", f"kubectl apply -f {name}.yaml")


def remove_node(cluster: Cluster, name: str) -> Done:
    store.delete(cluster, "Node", "", name)
    return Done(f"Removed node {name}", f"kubectl delete node {name}")


def cordon(cluster: Cluster, name: str) -> Done:
    store.patch(cluster, "Node", "", name, {"spec": {"unschedulable": True}}, patch_type="strategic")
    return Done(f"Cordoned {name}", f"kubectl cordon {name}")


def uncordon(cluster: Cluster, name: str) -> Done:
    store.patch(cluster, "Node", "", name, {"spec": {"unschedulable": None}}, patch_type="strategic")
    return Done(f"Uncordoned {name}", f"kubectl uncordon {name}")


def label_node(cluster: Cluster, name: str, key: str, value: str | None) -> Done:
    store.patch(cluster, "Node", "", name, {"metadata": {"labels": {key: value}}}, patch_type="merge")
    if value is None:
        return Done(f"Removed label {key} from {name}", f"kubectl label node {name} {key}-")
    return Done(f"Labelled {name} {key}={value}", f"kubectl label node {name} {key}={value} --overwrite")


def taint_node(cluster: Cluster, name: str, key: str, value: str, effect: str, *, remove: bool = False) -> Done:
    node = store.get(cluster, "Node", "", name)
    taints = [t for t in node.spec.get("taints") or [] if not (t["key"] == key and t["effect"] == effect)]
    if not remove:
        taints.append({"key": key, "effect": effect, **({"value": value} if value else {})})
    store.patch(cluster, "Node", "", name, {"spec": {"taints": taints or None}}, patch_type="merge")
    spec = f"{key}{'=' + value if value else ''}:{effect}"
    if remove:
        return Done(f"Removed taint {spec} from {name}", f"kubectl taint node {name} {key}:{effect}-")
    return Done(f"Tainted {name} {spec}", f"kubectl taint node {name} {spec}")


def _set_ready(cluster: Cluster, name: str, status: str, reason: str, message: str) -> None:
    node = store.get(cluster, "Node", "", name)
    now_s = format_time(store.now(cluster))
    new_status = node.to_dict()["status"]
    for cond in new_status.get("conditions", []):
        if cond["type"] == "Ready":
            if cond["status"] != status:
                cond["lastTransitionTime"] = now_s
            cond.update(status=status, reason=reason, message=message, lastHeartbeatTime=now_s)
    store.update_status(node, new_status)


def fail_node(cluster: Cluster, name: str) -> Done:
    """The kubelet reports NotReady (for example its container runtime is down)."""
    _set_ready(cluster, name, "False", "KubeletNotReady", "container runtime is down")
    return Done(f"{name}'s kubelet reports NotReady", f"kubectl get node {name}")


def partition_node(cluster: Cluster, name: str) -> Done:
    """The node stops reaching the API server: after the grace period it becomes Unknown."""
    node = store.get(cluster, "Node", "", name)
    now = store.now(cluster)
    ControllerMemory.objects.update_or_create(
        cluster=cluster, owner_uid=node.uid, controller="node-partition", defaults={"data": {"since": format_time(now)}}
    )
    from datetime import timedelta

    queue.add(cluster, [f"nodelifecycle:{name}"], now + timedelta(seconds=NODE_MONITOR_GRACE_SECONDS))
    return Done(f"{name} is cut off from the control plane", f"kubectl get node {name} -w")


def recover_node(cluster: Cluster, name: str) -> Done:
    node = store.get(cluster, "Node", "", name)
    ControllerMemory.objects.filter(cluster=cluster, owner_uid=node.uid, controller="node-partition").delete()
    _set_ready(cluster, name, "True", "KubeletReady", "kubelet is posting ready status")
    # the kubelet is back: it looks at its pods again
    pods = Pod.objects.filter(cluster=cluster, node_name=name).values_list("namespace", "name")
    queue.add(cluster, [f"kubelet:{ns}/{n}" for ns, n in pods], store.now(cluster))
    return Done(f"{name} recovered", f"kubectl get node {name}")


def kill_pod(cluster: Cluster, namespace: str, name: str) -> Done:
    store.delete(cluster, "Pod", namespace, name)
    return Done(f"Deleted pod {name}", f"kubectl delete pod {name}" + (f" -n {namespace}" if namespace != "default" else ""))


def crash_container(cluster: Cluster, namespace: str, name: str, container: str | None = None) -> Done:
    """The container dies now with status 137 (as if OOM-killed); its restart policy decides."""
    pod = store.get(cluster, "Pod", namespace, name)
    now = store.now(cluster)
    run = PodRun(pod.to_dict(), now, set())
    status = pod.to_dict()["status"]
    crashed = None
    for cs in status.get("containerStatuses") or []:
        if "running" in (cs.get("state") or {}) and (container is None or cs["name"] == container):
            run.exit_container(cs, 137, now)
            crashed = cs["name"]
            break
    if crashed is None:
        raise ValueError(f"pod {name} has no running container{' ' + container if container else ''}")
    run.summarise(status)
    store.update_status(pod, status)
    store.record_events(cluster, [(pod.to_dict(), t, r, m) for t, r, m in run.events], component="kubelet")
    queue.add(cluster, [f"kubelet:{namespace}/{name}"], now)
    return Done(f"Container {crashed} in {name} crashed (exit 137)", f"kubectl get pod {name} -w")


def node_names(cluster: Cluster) -> list[str]:
    return list(Node.objects.filter(cluster=cluster).order_by("name").values_list("name", flat=True))
