"""`GET pods/NAME/log`: what the simulated container printed, read off its program and status.

Nothing is stored. A container's program (`controllers.programs.read_container`) knows every
line it prints and when, relative to its start; the pod's status says when the current (or,
with `previous`, the last terminated) run started and ended. The log is the lines printed up to
now on the simulated clock. `follow` keeps reading as simulated time passes and ends when that
run ends, as the kubelet's stream does. Error texts are the kubelet's.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import AsyncIterator

from cluster import store
from cluster.errors import BadRequest, NotFound
from cluster.models import Cluster
from cluster.timeutil import parse_time
from controllers.programs import read_container
from k8sapi.threads import in_thread

FOLLOW_POLL_SECONDS = 0.2  # how often a follower re-reads the pod (network pacing, not sim time)


@dataclass(frozen=True)
class LogOptions:
    container: str | None = None
    previous: bool = False
    timestamps: bool = False
    tail_lines: int | None = None
    since_seconds: int | None = None
    since_time: datetime | None = None
    limit_bytes: int | None = None
    follow: bool = False


@dataclass(frozen=True)
class Run:
    """One run of a container: when it started, whether it ended, the lines printed so far."""

    started: datetime | None
    finished: bool
    lines: list[tuple[datetime, str]]


def _container(pod: dict, name: str | None) -> dict:
    meta, containers = pod["metadata"], (pod.get("spec") or {}).get("containers") or []
    if name is None:
        if len(containers) != 1:
            names = " ".join(c["name"] for c in containers)
            raise BadRequest(f"a container name must be specified for pod {meta['name']}, choose one of: [{names}]")
        return containers[0]
    found = next((c for c in containers if c["name"] == name), None)
    if found is None:
        raise BadRequest(f"container {name} is not valid for pod {meta['name']}")
    return found


def read_run(pod: dict, now: datetime, opts: LogOptions) -> Run:
    """The lines of the run `opts` asks for (400 as the kubelet words it when there is none)."""
    meta = pod["metadata"]
    container = _container(pod, opts.container)
    if not (pod.get("spec") or {}).get("nodeName"):
        return Run(None, True, [])  # not scheduled: the API server answers with an empty log
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    status = next((s for s in statuses if s.get("name") == container["name"]), {})
    state = (status.get("lastState") if opts.previous else status.get("state")) or {}
    run = state.get("running") or state.get("terminated")
    if not run:
        if opts.previous:
            raise BadRequest(f'previous terminated container "{container["name"]}" in pod "{meta["name"]}" not found')
        waiting = (state.get("waiting") or {}).get("reason") or "ContainerCreating"
        raise BadRequest(f'container "{container["name"]}" in pod "{meta["name"]}" is waiting to start: {waiting}')
    started = parse_time(run["startedAt"])
    finished = "finishedAt" in run
    until = parse_time(run["finishedAt"]) if finished else now
    program = read_container(container, meta.get("annotations"))
    elapsed = (until - started).total_seconds()
    lines = [(started + timedelta(seconds=at), text) for at, text in program.log if at <= elapsed]
    return Run(started, finished, lines)


def _since(lines: list[tuple[datetime, str]], now: datetime, opts: LogOptions) -> list[tuple[datetime, str]]:
    if opts.since_seconds is not None:
        lines = [line for line in lines if line[0] >= now - timedelta(seconds=opts.since_seconds)]
    if opts.since_time is not None:
        lines = [line for line in lines if line[0] >= opts.since_time]
    if opts.tail_lines is not None:
        lines = lines[-opts.tail_lines:] if opts.tail_lines > 0 else []
    return lines


def render(lines: list[tuple[datetime, str]], timestamps: bool) -> bytes:
    if timestamps:  # the kubelet's timeFormatOut: RFC 3339 with nine fraction digits
        return "".join(f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond:06d}000Z {text}\n" for t, text in lines).encode()
    return "".join(f"{text}\n" for _, text in lines).encode()


def _limited(data: bytes, remaining: int | None) -> bytes:
    return data if remaining is None else data[:max(remaining, 0)]


def _load(cluster: Cluster, namespace: str, name: str) -> tuple[dict, datetime]:
    return store.get(cluster, "Pod", namespace, name).to_dict(), store.now(cluster)


def read_log(cluster: Cluster, namespace: str, name: str, opts: LogOptions) -> bytes:
    """The whole answer of a non-following request."""
    pod, now = _load(cluster, namespace, name)
    run = read_run(pod, now, opts)
    return _limited(render(_since(run.lines, now, opts), opts.timestamps), opts.limit_bytes)


async def follow(cluster: Cluster, namespace: str, name: str, opts: LogOptions,
                 first: tuple[dict, datetime]) -> AsyncIterator[bytes]:
    """Stream a run's lines as simulated time reaches them; end with the run (or the pod)."""
    yield b""  # the status line now (daphne sends it with the first body write), as the kubelet
    pod, now = first
    run = read_run(pod, now, opts)
    data = _limited(render(_since(run.lines, now, opts), opts.timestamps), opts.limit_bytes)
    remaining = None if opts.limit_bytes is None else opts.limit_bytes - len(data)
    yield data
    sent = len(run.lines)
    while not run.finished and (remaining is None or remaining > 0):
        await asyncio.sleep(FOLLOW_POLL_SECONDS)
        try:
            pod, now = await in_thread(_load)(cluster, namespace, name)
            current = read_run(pod, now, opts)
        except (NotFound, BadRequest):
            return  # the pod is gone, or its container is no longer running
        if current.started != run.started:
            return  # the container restarted: that run's stream has ended
        run = current
        data = _limited(render(run.lines[sent:], opts.timestamps), remaining)
        sent = len(run.lines)
        if data:
            remaining = None if remaining is None else remaining - len(data)
            yield data


async def first_read(cluster: Cluster, namespace: str, name: str, opts: LogOptions) -> tuple[dict, datetime]:
    """Load the pod once and check the request (so errors are a 400, not a broken stream)."""
    pod, now = await in_thread(_load)(cluster, namespace, name)
    read_run(pod, now, opts)
    return pod, now
