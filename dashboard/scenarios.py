"""Built-in classroom scenarios: reset a cluster to a known start, then play it step by step.

Resetting deletes the cluster's row (every object, the change log, the controllers' queue,
memory and decisions go with it: none of that is an object write) and recreates it with the same
name and seed through `cluster.bootstrap.ensure_cluster`. Then the scenario's nodes and
manifests are written through `controllers.chaos` and the store, exactly as a teacher would, so
the controllers react as usual. Each step has an action (what the teacher does), the words for
the caption and a "What to notice" list for presenter mode. The current step is kept in
`ScenarioState`, so every browser agrees on it.

Going forward, the controllers run between two clicks while the presenter watches. Going back
(or `reset(upto=N)`) replays steps 1..N in one go, so between two replayed steps it runs the
controllers on the simulated clock, event to event (no waiting on the wall clock), until the step
has settled (`SETTLED`, by default the scenario's focus object at rest): step N then starts
from the cluster, and the counters' baseline, that a presenter going forward would have had.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

from django.db import transaction
from django.db.models import Q

from cluster.bootstrap import ensure_cluster
from cluster.models import Cluster, DaemonSet, Job, Pod
from controllers import chaos, simulation
from controllers.engine import Engine
from dashboard import actions, live
from dashboard.models import ScenarioState


@dataclass(frozen=True)
class Step:
    title: str
    subtitle: str
    notice: tuple[str, ...]
    action: Callable[[Cluster, object], None] | None = None
    kubectl: str = ""


@dataclass(frozen=True)
class Scenario:
    slug: str
    title: str
    summary: str
    nodes: tuple[tuple[str, dict, list], ...]
    steps: tuple[Step, ...]
    focus: str                       # "DaemonSet/default/name" or "Job/default/name": the presenter's counters
    paused: bool = False
    speed: float = 1.0
    tags: tuple[str, ...] = field(default_factory=tuple)


DAEMONSET = actions.example_text("daemonset")


def _apply(text: str) -> Callable:
    def run(cluster, user):
        result = actions.apply_yaml(cluster, user, text)
        if result.error:
            raise ValueError(result.message)
    return run


def _add_nodes(*nodes: tuple[str, dict, list]) -> Callable:
    def run(cluster, user):
        for name, labels, taints in nodes:
            actions.add_node(cluster, user, name, ",".join(f"{k}={v}" for k, v in labels.items()),
                             ",".join(f"{t['key']}{'=' + t['value'] if t.get('value') else ''}:{t['effect']}" for t in taints))
    return run


def _kill_first(owner_kind: str, owner_name: str, node: str = "") -> Callable:
    def run(cluster, user):
        pods = Pod.objects.filter(cluster=cluster, owner_kind=owner_kind, owner_name=owner_name,
                                  deletion_timestamp__isnull=True).exclude(node_name="")
        if node:
            pods = pods.filter(node_name=node)
        pod = pods.order_by("node_name", "name").first()
        if pod is not None:
            actions.kill_pod(cluster, user, pod.namespace, pod.name)
    return run


def _set_image(name: str, image: str) -> Callable:
    def run(cluster, user):
        actions.set_ds_image(cluster, user, "default", name, "", image)
    return run


def _rollback(name: str, revision: int) -> Callable:
    def run(cluster, user):
        actions.rollback_ds(cluster, user, "default", name, revision)
    return run


def _speed(value: float) -> Callable:
    def run(cluster, user):
        simulation.set_speed(cluster, value)
    return run


def _job_finished(name: str) -> Callable[[Cluster], bool]:
    def settled(cluster):
        return Job.objects.filter(cluster=cluster, namespace="default", name=name, finished=True).exists()
    return settled


ROLLING = """apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: web
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  minReadySeconds: 5
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.26
"""

PARALLEL = """apiVersion: batch/v1
kind: Job
metadata:
  name: squares
spec:
  completions: 6
  parallelism: 3
  completionMode: Indexed
  backoffLimit: 4
  template:
    spec:
      containers:
      - name: worker
        image: busybox:1.36
        command: ['sh', '-c', 'sleep 20; echo index done']
      restartPolicy: Never
"""

SCENARIOS: dict[str, Scenario] = {s.slug: s for s in (
    Scenario(
        "daemonset-basics", "DaemonSet basics: 1 node, then 3",
        "The chapter's my-first-daemonset on a one-node cluster; two nodes join, a pod dies, a tainted node arrives.",
        (("node-1", {"zone": "a"}, []),),
        (
            Step("Create the DaemonSet", "one pod on every node",
                 ("DESIRED is the number of nodes that should run the pod: here 1.",
                  "The controller created the pod; the scheduler did not choose the node: the pod names it.",
                  "Watch the pod go Pending → ContainerCreating → Running."),
                 _apply(DAEMONSET), "kubectl apply -f my-first-daemonset.yaml"),
            Step("Add two nodes", "watch the DaemonSet place one pod on each",
                 ("DESIRED went from 1 to 3 the moment the nodes joined. Nobody edited the DaemonSet.",
                  "The controller compares desired with actual on every node, then creates what is missing: one pod per node, never two.",
                  "A dashed slot is a pod the controller wants but has not created yet."),
                 _add_nodes(("node-2", {"zone": "a"}, []), ("node-3", {"zone": "b"}, [])), "kubectl apply -f node-2.yaml -f node-3.yaml"),
            Step("Kill a pod", "the controller replaces it",
                 ("Deleting a DaemonSet pod does not shrink the DaemonSet: its spec still says every node.",
                  "The pod goes Terminating, then the controller sees a node without a pod and creates a new one, with a new name."),
                 _kill_first("DaemonSet", "my-first-daemonset", "node-2"), "kubectl delete pod <the pod on node-2>"),
            Step("Add a tainted node", "no pod for a taint it does not tolerate",
                 ("node-4 has the taint gpu=true:NoSchedule and the DaemonSet has no toleration for it.",
                  "DESIRED stays 3: the controller skips the node and says why (the grey slot).",
                  "Add a toleration to the DaemonSet, or remove the taint, and a pod appears."),
                 _add_nodes(("node-4", {"zone": "b", "gpu": "true"}, [{"key": "gpu", "value": "true", "effect": "NoSchedule"}])),
                 "kubectl apply -f node-4.yaml   # with taint gpu=true:NoSchedule"),
        ),
        "DaemonSet/default/my-first-daemonset", tags=("DaemonSet",),
    ),
    Scenario(
        "job-backoff", "A Job that fails until backoffLimit",
        "hello-world runs `exit 1` with restartPolicy Never and backoffLimit 4: five pods, back-off 10, 20, 40, 80 s, then Failed.",
        (("node-1", {"zone": "a"}, []), ("node-2", {"zone": "a"}, []), ("node-3", {"zone": "b"}, [])),
        (
            Step("Create the failing Job", "every pod exits 1",
                 ("restartPolicy: Never, so a failed pod is not restarted: the Job controller creates a new pod.",
                  "Each failure counts once towards backoffLimit 4."),
                 _apply(actions.FAILING_JOB), "kubectl apply -f hello-world-job.yaml"),
            Step("Watch the back-off", "10 s, 20 s, 40 s, 80 s between attempts",
                 ("After the n-th failure the controller waits 10 s × 2ⁿ⁻¹ (at most 10 minutes) before the next pod.",
                  "The dashed gap on the timeline is that wait; the countdown says when the next pod comes.",
                  "Speed is now 10x so the whole story fits in a minute."),
                 _speed(10.0), "python manage.py sim speed 10"),
            Step("Failed: BackoffLimitExceeded", "the fifth failure is one too many",
                 ("failed 5 > backoffLimit 4: the controller adds FailureTarget, then Failed with reason BackoffLimitExceeded.",
                  "No more pods are created. The failed pods stay so that you can read their logs."),
                 None, "kubectl describe job hello-world"),
        ),
        "Job/default/hello-world", tags=("Job",),
    ),
    Scenario(
        "parallel-job", "A parallel (Indexed) Job",
        "squares: completions 6, parallelism 3, Indexed: three pods at a time, one per index, until every index succeeded.",
        (("node-1", {"zone": "a"}, []), ("node-2", {"zone": "a"}, []), ("node-3", {"zone": "b"}, [])),
        (
            Step("Create the Job", "three pods at a time",
                 ("parallelism 3: at most three pods run at once.",
                  "completionMode Indexed: each pod gets an index 0-5 (its JOB_COMPLETION_INDEX); the grid shows which are done."),
                 _apply(PARALLEL), "kubectl apply -f squares.yaml"),
            Step("Kill a running pod", "its index is retried",
                 ("A deleted pod counts as failed; the controller creates a new pod for the same index.",),
                 _kill_first("Job", "squares"), "kubectl delete pod <a running squares pod>"),
        ),
        "Job/default/squares", tags=("Job",),
    ),
    Scenario(
        "rolling-update", "Rolling update with maxSurge",
        "web runs nginx:1.26 on four nodes; change the image and watch maxSurge 1 / maxUnavailable 0 replace pods one node at a time.",
        (("node-1", {"zone": "a"}, []), ("node-2", {"zone": "a"}, []), ("node-3", {"zone": "b"}, []), ("node-4", {"zone": "b"}, [])),
        (
            Step("Create the DaemonSet", "revision 1: nginx:1.26",
                 ("maxSurge 1 with maxUnavailable 0: the new pod starts beside the old one, which goes only when the new one is available.",),
                 _apply(ROLLING), "kubectl apply -f web.yaml"),
            Step("Change the image", "revision 2: nginx:1.27, one node at a time",
                 ("A new template means a new ControllerRevision (revision 2).",
                  "UP-TO-DATE climbs one node at a time; AVAILABLE never drops below DESIRED."),
                 _set_image("web", "nginx:1.27"), "kubectl set image ds/web web=nginx:1.27"),
            Step("Roll back", "revision 1's template comes back",
                 ("Rolling back copies revision 1's template into the DaemonSet: the same rolling update, the other way.",),
                 _rollback("web", 1), "kubectl rollout undo ds/web --to-revision=1"),
        ),
        "DaemonSet/default/web", tags=("DaemonSet",),
    ),
)}


# What the presenter waits for after step N before clicking → (replayed by Back and
# `reset(upto=…)`); a step not listed waits for its scenario's focus object to be at rest.
SETTLED: dict[tuple[str, int], Callable[[Cluster], bool]] = {
    ("job-backoff", 2): _job_finished("hello-world"),   # step 3 is "Failed: BackoffLimitExceeded"
}
SETTLE_HORIZON = timedelta(hours=1)   # of simulated time: a step that never settles stops here
SETTLE_MAX_BATCHES = 10_000


def at_rest(cluster: Cluster, focus: str) -> bool:
    """Nothing in flight for the focus object: a DaemonSet rolled out on every node it wants, with
    no pod starting or terminating; a Job finished, or its active pods all ready (a Job waiting
    out a back-off is at rest too). A missing object is at rest."""
    kind, ns, name = (focus.split("/", 2) + ["", ""])[:3]
    model = DaemonSet if kind == "DaemonSet" else Job
    row = model.objects.filter(cluster=cluster, namespace=ns, name=name).first()
    if row is None:
        return True
    status = row.status or {}
    if kind == "Job" and row.finished:
        return True
    moving = Pod.objects.filter(cluster=cluster, owner_uid=row.uid).filter(
        Q(phase="Pending") | Q(deletion_timestamp__isnull=False)).exists()
    if moving:
        return False
    if kind == "DaemonSet":
        counts = {status.get(k) for k in ("desiredNumberScheduled", "currentNumberScheduled", "numberReady",
                                          "updatedNumberScheduled", "numberAvailable")}
        return status.get("observedGeneration") == row.generation and len(counts) == 1
    return bool(status.get("startTime")) and (status.get("active") or 0) == (status.get("ready") or 0)


def _settle(cluster: Cluster, scenario: Scenario, number: int) -> None:
    """Run the controllers on the simulated clock, one instant at a time (every batch due at it,
    as the driver does), until step `number` has settled: what a presenter going forward waits
    for before the next click. Fast: no wall-clock waiting, the clock jumps from event to event."""
    settled = SETTLED.get((scenario.slug, number)) or (lambda c: at_rest(c, scenario.focus))
    engine = Engine(cluster)
    limit = engine.clock.now() + SETTLE_HORIZON
    for _ in range(SETTLE_MAX_BATCHES):
        engine.run_until(engine.clock.now())   # everything due at this instant, like the driver
        if settled(cluster) or not engine.step(until=limit):
            return


def state_for(cluster_name: str) -> ScenarioState | None:
    return ScenarioState.objects.filter(cluster_name=cluster_name).first()


def _last_decision_id(cluster: Cluster) -> int:
    from controllers.models import Decision

    return Decision.objects.filter(cluster=cluster).order_by("-id").values_list("id", flat=True).first() or 0


def counters(cluster: Cluster, focus: str) -> dict:
    from cluster.models import DaemonSet, Job

    kind, ns, name = (focus.split("/", 2) + ["", ""])[:3]
    model = DaemonSet if kind == "DaemonSet" else Job
    row = model.objects.filter(cluster=cluster, namespace=ns, name=name).first()
    return dict(row.status) if row else {}


def reset(cluster_name: str, slug: str, user=None, *, upto: int = 1) -> Cluster:
    """Reset `cluster_name` to scenario `slug` and play its steps 1..upto."""
    scenario = SCENARIOS[slug]
    with transaction.atomic():
        old = Cluster.objects.filter(name=cluster_name).first()
        seed = old.seed if old else 0
        old_id = old.pk if old else None
        if old is not None:
            old.delete()
        cluster = ensure_cluster(cluster_name, seed=seed)
        if scenario.speed != 1.0:
            simulation.set_speed(cluster, scenario.speed)
        for name, labels, taints in scenario.nodes:
            chaos.add_node(cluster, name, labels=labels, taints=taints)
        actions.record(cluster, user, "reset", f"Reset the cluster to the scenario “{scenario.title}”",
                       f"python manage.py scenario {slug}"
                       + (f" --cluster {cluster_name}" if cluster_name != "default" else ""))
        state, _ = ScenarioState.objects.update_or_create(
            cluster_name=cluster_name, defaults={"scenario": slug, "step": 0, "data": {"marks": {}, "counters": {}}})
        for number in range(1, min(upto, len(scenario.steps)) + 1):
            if number > 1:   # as if the presenter had watched step number-1 play out
                _settle(cluster, scenario, number - 1)
            _play(cluster, scenario, state, number, user)
        if scenario.paused:
            simulation.pause(cluster)
        else:
            simulation.resume(cluster)
    if old_id is not None:
        live.send(old_id, {"reset"})
    live.send(cluster.pk, {"reset"})
    return cluster


def _play(cluster: Cluster, scenario: Scenario, state: ScenarioState, number: int, user) -> None:
    step = scenario.steps[number - 1]
    data = state.data or {}
    data.setdefault("marks", {})[str(number)] = _last_decision_id(cluster)
    data.setdefault("counters", {})[str(number)] = counters(cluster, scenario.focus)
    state.step = number
    state.data = data
    state.save(update_fields=["step", "data"])
    if step.action is not None:
        step.action(cluster, user)


def next_step(cluster: Cluster, user=None) -> ScenarioState | None:
    state = state_for(cluster.name)
    if state is None or state.scenario not in SCENARIOS:
        return None
    scenario = SCENARIOS[state.scenario]
    if state.step >= len(scenario.steps):
        return state
    with transaction.atomic():
        _play(cluster, scenario, state, state.step + 1, user)
    live.send(cluster.pk, {"caption", "explain", "notice"})
    return state


def previous_step(cluster: Cluster, user=None) -> Cluster:
    """Back: replay the scenario from the start up to the previous step (time restarts too, and
    the replay lets each earlier step settle on the simulated clock before the next)."""
    state = state_for(cluster.name)
    if state is None or state.scenario not in SCENARIOS:
        return cluster
    return reset(cluster.name, state.scenario, user, upto=max(state.step - 1, 1))
