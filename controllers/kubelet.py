"""The simulated kubelet: runs bound pods on the cluster clock, and stops deleted ones.

A pod bound to a Ready node goes `ContainerCreating` (pulling its image the first time that
node uses it: `PULL_SECONDS`, then `START_SECONDS`), then `Running`; when its program ends
(`controllers.programs` reads the command, never runs it) it becomes `Succeeded`/`Failed`
(restartPolicy Never, or OnFailure with status 0), or restarts in place with the kubelet's
crash-loop back-off: the first restart at once, then 10 s, 20 s, 40 s ... up to 5 minutes
(`CrashLoopBackOff`). A deleted pod's containers are stopped (`STOP_SECONDS`, at most the grace
period) and the pod is removed. Pods on a node that is not Ready are frozen: nobody reports.

Every time comes from the pod's status (startTime, startedAt, finishedAt), so a wake-up at any
moment is harmless: the handler works out what is due and asks to be woken at the next moment.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from cluster import reading, store
from cluster.models import Node, Pod, copy_json
from cluster.timeutil import format_time, parse_time
from controllers.engine import Result, Step, register
from controllers.models import ControllerMemory
from controllers.programs import read_container

COMPONENT = "kubelet"
PULL_SECONDS = 3.0
START_SECONDS = 1.0
STOP_SECONDS = 2.0
CRASH_BACKOFF_INITIAL = 10.0
CRASH_BACKOFF_MAX = 300.0


def crash_backoff(restarts_done: int) -> float:
    """Delay before the next restart after `restarts_done` restarts (first restart: at once)."""
    if restarts_done == 0:
        return 0.0
    return min(CRASH_BACKOFF_INITIAL * 2 ** (restarts_done - 1), CRASH_BACKOFF_MAX)


def pod_ip(name: str, node: str) -> str:
    digest = hashlib.sha1(f"{node}/{name}".encode()).digest()
    return f"10.244.{digest[0] % 250}.{digest[1] % 250 + 2}"


def _condition(type_: str, status: bool, now_s: str, reason: str | None = None) -> dict:
    cond = {"type": type_, "status": "True" if status else "False", "lastProbeTime": None, "lastTransitionTime": now_s}
    if reason:
        cond["reason"] = reason
    return cond


def _set_conditions(status: dict, now_s: str, *, ready: bool, reason: str | None = None) -> None:
    """Ready and ContainersReady, keeping lastTransitionTime when the value does not change."""
    current = {c["type"]: c for c in status.get("conditions") or []}
    for type_ in ("Initialized", "Ready", "ContainersReady", "PodScheduled"):
        value = True if type_ in ("Initialized", "PodScheduled") else ready
        old = current.get(type_)
        if old and old.get("status") == ("True" if value else "False"):
            continue
        current[type_] = _condition(type_, value, now_s, None if value else reason)
    order = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
    status["conditions"] = [current[t] for t in order if t in current]


class PodRun:
    """One pod's next kubelet transition, worked out from its status and the time."""

    def __init__(self, pod: dict, now: datetime, images: set[str]):
        self.pod = pod
        self.now = now
        self.now_s = format_time(now)
        self.images = images
        self.events: list[tuple[str, str, str]] = []
        self.pulled: set[str] = set()
        self.delete = False

    @property
    def containers(self) -> list[dict]:
        return (self.pod.get("spec") or {}).get("containers") or []

    def programs(self):
        annotations = self.pod["metadata"].get("annotations") or {}
        return [read_container(c, annotations) for c in self.containers]

    def advance(self) -> tuple[dict | None, float | None]:
        """(new status or None, seconds until the next transition or None)."""
        meta, status = self.pod["metadata"], copy_json(self.pod.get("status") or {})
        if meta.get("deletionTimestamp"):
            return self._stop(status)
        if status.get("phase") in ("Succeeded", "Failed"):
            return None, None
        if not status.get("containerStatuses"):
            return self._create(status)
        return self._run(status)

    # --- the stages -------------------------------------------------------------------------

    def _create(self, status: dict) -> tuple[dict, float]:
        pulls = [c.get("image") not in self.images for c in self.containers]  # per container
        pull = any(pulls)
        node = self.pod["spec"]["nodeName"]
        status.update(phase="Pending", startTime=self.now_s, hostIP=store.node_ip(node),
                      podIP=pod_ip(self.pod["metadata"]["name"], node))
        status["hostIPs"] = [{"ip": status["hostIP"]}]
        status["podIPs"] = [{"ip": status["podIP"]}]
        status["containerStatuses"] = [
            {
                "name": c["name"], "image": c.get("image", ""), "imageID": "", "ready": False,
                "restartCount": 0, "started": False,
                "state": {"waiting": {"reason": "ContainerCreating",
                                      **({"message": f'Pulling image "{c.get("image")}"'} if pulling else {})}},
                "lastState": {},
            }
            for c, pulling in zip(self.containers, pulls)
        ]
        _set_conditions(status, self.now_s, ready=False, reason="ContainersNotReady")
        for c, pulling in zip(self.containers, pulls):
            if pulling:
                self.events.append(("Normal", "Pulling", f'Pulling image "{c.get("image")}"'))
        return status, (PULL_SECONDS if pull else 0.0) + START_SECONDS

    def _started_at_creation_end(self, status: dict) -> float:
        pulling = any("message" in (cs["state"].get("waiting") or {}) for cs in status["containerStatuses"])
        return (PULL_SECONDS if pulling else 0.0) + START_SECONDS

    def _starting(self, name: str, image: str, *, pulled: bool = False) -> None:
        """The events of a container (re)start: the image manager's word on the image
        (pkg/kubelet/images/image_manager.go), then Created and Started."""
        if pulled:
            self.events.append(("Normal", "Pulled", f'Successfully pulled image "{image}" in {PULL_SECONDS:g}s'))
        else:
            self.events.append(("Normal", "Pulled", f'Container image "{image}" already present on machine'))
        self.events.append(("Normal", "Created", f"Created container: {name}"))
        self.events.append(("Normal", "Started", f"Started container {name}"))

    def _run(self, status: dict) -> tuple[dict | None, float | None]:
        statuses = status["containerStatuses"]
        programs = self.programs()
        changed = False
        wake: list[float] = []
        start_time = parse_time(status["startTime"])
        for cs, container, program in zip(statuses, self.containers, programs):
            state = cs.get("state") or {}
            waiting = state.get("waiting")
            if waiting and waiting.get("reason") == "ContainerCreating":
                ready_at = start_time + timedelta(seconds=self._started_at_creation_end(status))
                if self.now < ready_at:
                    wake.append((ready_at - self.now).total_seconds())
                    continue
                if "message" in waiting:
                    self.pulled.add(container.get("image", ""))
                self._starting(container["name"], container.get("image", ""), pulled="message" in waiting)
                self._start(cs)
                changed = True
            elif waiting and waiting.get("reason") == "CrashLoopBackOff":
                finished = parse_time(cs["lastState"]["terminated"]["finishedAt"])
                restart_at = finished + timedelta(seconds=crash_backoff(cs["restartCount"]))
                if self.now < restart_at:
                    wake.append((restart_at - self.now).total_seconds())
                    continue
                cs["restartCount"] += 1
                self._starting(container["name"], container.get("image", ""))
                self._start(cs)
                changed = True
            if "running" in cs["state"] and not program.forever:
                started = parse_time(cs["state"]["running"]["startedAt"])
                ends = started + timedelta(seconds=program.seconds)
                if self.now < ends:
                    wake.append((ends - self.now).total_seconds())
                    continue
                self.exit_container(cs, program.exit_code, ends)
                changed = True
                if "waiting" in cs["state"] and cs["state"]["waiting"]["reason"] == "CrashLoopBackOff":
                    restart_at = ends + timedelta(seconds=crash_backoff(cs["restartCount"]))
                    wake.append(max((restart_at - self.now).total_seconds(), 0.0))
        if not changed:
            return None, min(wake) if wake else None
        self.summarise(status)
        return status, (min(wake) if wake else None)

    def _start(self, cs: dict) -> None:
        cs["state"] = {"running": {"startedAt": self.now_s}}
        cs["ready"] = True
        cs["started"] = True
        cs["imageID"] = f"docker.io/library/{cs['image']}"
        cs["containerID"] = f"containerd://{hashlib.sha1((self.pod['metadata']['uid'] + cs['name'] + str(cs['restartCount'])).encode()).hexdigest()}"

    def exit_container(self, cs: dict, code: int, at: datetime) -> None:
        policy = (self.pod.get("spec") or {}).get("restartPolicy", "Always")
        terminated = {
            "exitCode": code,
            "reason": "Completed" if code == 0 else "Error",
            "startedAt": cs["state"]["running"]["startedAt"],
            "finishedAt": format_time(at),
            "containerID": cs.get("containerID", ""),
        }
        cs["ready"] = False
        cs["started"] = False
        if policy == "Never" or (policy == "OnFailure" and code == 0):
            cs["state"] = {"terminated": terminated}
            return
        cs["lastState"] = {"terminated": terminated}
        if crash_backoff(cs["restartCount"]) == 0:
            cs["restartCount"] += 1  # the first restart happens at once
            self._starting(cs["name"], cs.get("image", ""))
            cs["state"] = {"running": {"startedAt": format_time(at)}}
            cs["ready"] = cs["started"] = True
            return
        delay = crash_backoff(cs["restartCount"])
        cs["state"] = {"waiting": {"reason": "CrashLoopBackOff",
                                   "message": f"back-off {delay:g}s restarting failed container={cs['name']} pod={self.pod['metadata']['name']}_{self.pod['metadata']['namespace']}({self.pod['metadata']['uid']})"}}
        self.events.append(("Warning", "BackOff", f"Back-off restarting failed container {cs['name']} in pod {self.pod['metadata']['name']}_{self.pod['metadata']['namespace']}({self.pod['metadata']['uid']})"))

    def summarise(self, status: dict) -> None:
        statuses = status["containerStatuses"]
        terminated = [cs["state"].get("terminated") for cs in statuses]
        if all(terminated):
            status["phase"] = "Succeeded" if all(t["exitCode"] == 0 for t in terminated) else "Failed"
            _set_conditions(status, self.now_s, ready=False, reason="PodCompleted" if status["phase"] == "Succeeded" else "PodFailed")
            return
        if any("running" in cs["state"] or "lastState" in cs and cs["lastState"] for cs in statuses):
            status["phase"] = "Running"
        ready = all(cs["ready"] for cs in statuses)
        _set_conditions(status, self.now_s, ready=ready, reason=None if ready else "ContainersNotReady")

    def _stop(self, status: dict) -> tuple[dict | None, float | None]:
        meta = self.pod["metadata"]
        grace = int(meta.get("deletionGracePeriodSeconds", 0))
        requested = parse_time(meta["deletionTimestamp"]) - timedelta(seconds=grace)
        done_at = requested + timedelta(seconds=min(grace, STOP_SECONDS))
        if grace > 0 and self.now < done_at:
            return None, (done_at - self.now).total_seconds()
        if status.get("phase") not in ("Succeeded", "Failed"):
            for c in self.containers:
                self.events.append(("Normal", "Killing", f"Stopping container {c['name']}"))
            codes = []
            for cs in status.get("containerStatuses") or []:
                running = (cs.get("state") or {}).get("running")
                if running is not None:
                    # A server stops cleanly on SIGTERM; anything mid-run reports 143.
                    program = read_container(next((c for c in self.containers if c["name"] == cs["name"]), {}), meta.get("annotations"))
                    code = 0 if program.forever else 143
                    cs["state"] = {"terminated": {"exitCode": code, "reason": "Completed" if code == 0 else "Error",
                                                  "startedAt": running["startedAt"], "finishedAt": self.now_s}}
                    cs["ready"] = cs["started"] = False
                terminated = (cs.get("state") or {}).get("terminated")
                codes.append(terminated["exitCode"] if terminated else 1)
            status["phase"] = "Succeeded" if codes and all(c == 0 for c in codes) else "Failed"
            _set_conditions(status, self.now_s, ready=False, reason="PodCompleted" if status["phase"] == "Succeeded" else "PodFailed")
        self.delete = True
        return status, None


def _image_cache(cluster, node_uids: dict[str, str]) -> tuple[dict[str, set[str]], dict[str, ControllerMemory]]:
    """The images each node has pulled (the kubelet's own store, not API state)."""
    rows = {r.owner_uid: r for r in ControllerMemory.objects.filter(
        cluster=cluster, controller="kubelet-images", owner_uid__in=node_uids.values())}
    cache = {name: set(rows[uid].data.get("images", [])) if uid in rows else set() for name, uid in node_uids.items()}
    return cache, rows


def _remember_images(cluster, node_uids: dict[str, str], rows: dict[str, ControllerMemory],
                     cache: dict[str, set[str]], pulled: dict[str, set[str]]) -> None:
    changed, new = [], []
    for node, images in pulled.items():
        if not images or node not in node_uids:
            continue
        data = {"images": sorted(cache[node])}
        row = rows.get(node_uids[node])
        if row is None:
            new.append(ControllerMemory(cluster=cluster, owner_uid=node_uids[node], controller="kubelet-images", data=data))
        elif row.data != data:
            row.data = data
            changed.append(row)
    ControllerMemory.objects.bulk_create(new)
    ControllerMemory.objects.bulk_update(changed, ["data"])


def run_pods(step: Step, names: list[str]) -> dict[str, Result]:
    cluster = step.cluster
    wanted = {tuple(n.split("/", 1)) for n in names}
    pods = [(node_name, p) for node_name, p in reading.stored(
        Pod.objects.filter(cluster=cluster, name__in={n for _, n in wanted}).exclude(node_name=""), "node_name")
        if (p.namespace, p.name) in wanted]
    nodes = {name: (uid, ready) for name, uid, ready in Node.objects.filter(
        cluster=cluster, name__in={n for n, _ in pods}).values_list("name", "uid", "ready")}
    node_uids = {name: uid for name, (uid, _) in nodes.items()}
    cache, memory_rows = _image_cache(cluster, node_uids)
    results = {name: Result.done() for name in names}
    updates, deletions, events, pulled = [], [], [], {}
    for node_name, pod in pods:
        if nodes.get(node_name, ("", ""))[1] != "True":
            continue  # no kubelet there to report: the pod is frozen until the node recovers
        obj = pod.view()
        run = PodRun(obj, step.now, cache[node_name])
        status, next_in = run.advance()
        key = f"{pod.namespace}/{pod.name}"
        if status is not None:
            updates.append((pod, {**obj, "status": status}))
        if run.delete:
            deletions.append(pod)
        events += [(obj, t, r, m) for t, r, m in run.events]
        pulled.setdefault(node_name, set()).update(run.pulled)
        cache[node_name] |= run.pulled
        if next_in is not None:
            results[key] = Result.after(next_in)
    if updates:
        store.update_many(cluster, updates, subresource="status", trusted=True)  # statuses built here
    if deletions:
        store.delete_many(cluster, deletions, grace_period_seconds=0)  # rows kept current by the store
    if events:
        store.record_events(cluster, events, component=COMPONENT)
    _remember_images(cluster, node_uids, memory_rows, cache, pulled)
    return results


register("kubelet", run_pods)
