"""What a simulated container printed: `kubectl logs` for our pods.

Nothing is stored: the log is what the container's program (`controllers.programs`) prints
between its start and now, read off its status (`startedAt`, `finishedAt`). `previous` gives
the last terminated run (`lastState`).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from cluster import store
from cluster.errors import BadRequest
from cluster.kubectl import Context, UsageError, register_verb
from cluster.models import Job, Pod
from cluster.timeutil import format_time, parse_time
from controllers.programs import read_container


def container_log(pod: dict, now: datetime, *, container: str | None = None, previous: bool = False,
                  timestamps: bool = False, tail: int | None = None) -> str:
    spec = pod.get("spec") or {}
    containers = spec.get("containers") or []
    if container is None:
        if len(containers) > 1:
            names = " ".join(c["name"] for c in containers)
            raise BadRequest(f"a container name must be specified for pod {pod['metadata']['name']}, choose one of: [{names}]")
        container = containers[0]["name"]
    spec_c = next((c for c in containers if c["name"] == container), None)
    if spec_c is None:
        raise BadRequest(f"container {container} is not valid for pod {pod['metadata']['name']}")
    status = next((s for s in (pod.get("status") or {}).get("containerStatuses") or [] if s["name"] == container), {})
    state = (status.get("lastState") if previous else status.get("state")) or {}
    run = state.get("running") or state.get("terminated")
    if not run:
        if previous:
            raise BadRequest(f'previous terminated container "{container}" in pod "{pod["metadata"]["name"]}" not found')
        waiting = (state.get("waiting") or {}).get("reason", "ContainerCreating")
        raise BadRequest(f'container "{container}" in pod "{pod["metadata"]["name"]}" is waiting to start: {waiting}')
    started = parse_time(run["startedAt"])
    until = parse_time(run["finishedAt"]) if run.get("finishedAt") else now
    program = read_container(spec_c, pod["metadata"].get("annotations"))
    elapsed = (until - started).total_seconds()
    lines = [(started + timedelta(seconds=at), text) for at, text in program.log if at <= elapsed]
    if tail is not None and tail >= 0:
        lines = lines[-tail:] if tail else []
    if timestamps:
        return "".join(f"{format_time(t).replace('Z', '.000000000Z')} {text}\n" for t, text in lines)
    return "".join(f"{text}\n" for _, text in lines)


def cmd_logs(ctx: Context, args) -> int:
    target = args.target
    if "/" in target:
        kind, _, name = target.partition("/")
        if kind in ("job", "jobs", "job.batch", "jobs.batch"):
            job = store.get(ctx.cluster, "Job", ctx.namespace, name)
            pods = list(Pod.objects.filter(cluster=ctx.cluster, owner_uid=job.uid).order_by("creation_timestamp", "name"))
            if not pods:
                raise UsageError(f"timed out waiting for the condition")
            if len(pods) > 1:
                ctx.error(f"Found {len(pods)} pods, using pod/{pods[0].name}")
            pod = pods[0]
        elif kind in ("pod", "pods", "po"):
            pod = store.get(ctx.cluster, "Pod", ctx.namespace, name)
        else:
            raise UsageError(f"cannot get the logs from {kind}: only pods and jobs are supported here")
    else:
        pod = store.get(ctx.cluster, "Pod", ctx.namespace, target)
    try:
        ctx.out.write(container_log(pod.to_dict(), store.now(ctx.cluster), container=args.container,
                                    previous=args.previous, timestamps=args.timestamps, tail=args.tail))
    except BadRequest as exc:
        ctx.error(f"Error from server (BadRequest): {exc.message}")
        return 1
    return 0


def _configure(parser) -> None:
    parser.add_argument("target")
    parser.add_argument("-c", "--container")
    parser.add_argument("-p", "--previous", action="store_true")
    parser.add_argument("--timestamps", action="store_true")
    parser.add_argument("--tail", type=int)


register_verb("logs", _configure, cmd_logs)
