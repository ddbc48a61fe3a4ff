"""Running the engine: leases, the driver loop, and the Channels worker consumer.

Exactly one process reconciles a cluster at a time: it holds the cluster's `Lease` row, taken
and renewed by compare-and-set on the database clock (`holder` is `host:pid:random`). Any
number of processes may run the driver; each works on the clusters it holds. A process that
dies (SIGKILL included) stops renewing, and another takes its clusters once the lease expires
(`LEASE_SECONDS`). Because the work queue is a table, nothing queued is lost in the hand-over.

The driver maps wall time to each cluster's simulated time (`SimClock.target`) and runs the
engine up to it, in bounded slices so a busy cluster never starves the others. It wakes early
when a `reconcile.request` arrives on the `kubesim-controllers` channel (sent after every
commit that queued work), and otherwise polls every `TICK_SECONDS` (100 ms). On start, and every
`RESYNC_SECONDS` after, it re-queues every workload (an informer's list): a lost message only
delays convergence.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
import uuid
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.consumer import AsyncConsumer
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db.models import Q
from django.db.models.functions import Now

from cluster.clock import SimClock
from cluster.models import Cluster
from controllers.engine import Engine
from controllers.models import Lease

log = logging.getLogger(__name__)

CHANNEL = "kubesim-controllers"
LEASE_SECONDS = float(os.environ.get("KUBESIM_LEASE_SECONDS", "6"))
TICK_SECONDS = 0.1
RESYNC_SECONDS = float(os.environ.get("KUBESIM_RESYNC_SECONDS", "30"))
MAX_STEPS_PER_SLICE = 50  # short slices: the lease is renewed between them


def new_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def try_acquire(cluster: Cluster, holder: str, ttl: float = LEASE_SECONDS) -> bool:
    """Take or renew the cluster's lease. Compare-and-set: true only for the one winner."""
    Lease.objects.get_or_create(cluster=cluster)
    expired = Q(renew_time__isnull=True) | Q(renew_time__lt=Now() - timedelta(seconds=ttl))
    mine = Lease.objects.filter(cluster=cluster, holder=holder).update(renew_time=Now())
    if mine:
        return True
    from django.db.models import F

    taken = Lease.objects.filter(Q(cluster=cluster) & (Q(holder="") | expired)).update(
        holder=holder, renew_time=Now(), transitions=F("transitions") + 1
    )
    return taken == 1


def release(holder: str) -> None:
    Lease.objects.filter(holder=holder).update(holder="", renew_time=None)


class Driver:
    """Moves every cluster this process holds forward to where wall time says it should be."""

    def __init__(self, holder: str | None = None):
        self.holder = holder or new_holder()
        self.held: set[int] = set()
        self.renewed: dict[int, float] = {}  # cluster id -> monotonic time of the last renewal

    def holds(self, cluster: Cluster) -> bool:
        """Renew (or try to take) the lease a few times per TTL, not on every tick: each
        renewal is a write, and on SQLite every write takes the database's one write lock."""
        last = self.renewed.get(cluster.pk)
        if cluster.pk in self.held and last is not None and time.monotonic() - last < LEASE_SECONDS / 3:
            return True
        if try_acquire(cluster, self.holder):
            self.renewed[cluster.pk] = time.monotonic()
            return True
        self.renewed.pop(cluster.pk, None)
        return False

    def drive_once(self) -> bool:
        """One slice for every cluster; returns True if some cluster still has work due now."""
        _in_driver.active = True
        try:
            return self._drive_once()
        finally:
            _in_driver.active = False

    def _drive_once(self) -> bool:
        busy = False
        for cluster in Cluster.objects.all():
            if not self.holds(cluster):
                self.held.discard(cluster.pk)
                continue
            engine = Engine(cluster)
            if cluster.pk not in self.held:
                self.held.add(cluster.pk)
                engine.resync()  # the informer's initial list
                if not cluster.paused:
                    # time flows from now on: the hours the server was down are not replayed
                    SimClock(cluster).resume()
            if cluster.paused:
                continue
            target = SimClock(cluster).target()
            steps = engine.run_until(target, max_steps=MAX_STEPS_PER_SLICE)
            if steps >= MAX_STEPS_PER_SLICE:
                busy = True
        return busy

    def resync(self) -> None:
        from cluster import store

        for cluster in Cluster.objects.filter(pk__in=self.held):
            Engine(cluster).resync()
            store.compact(cluster)
            store.expire_events(cluster)

    async def run(self, wake: asyncio.Event | None = None) -> None:
        wake = wake or asyncio.Event()
        loop = asyncio.get_running_loop()
        next_resync = loop.time() + RESYNC_SECONDS
        try:
            while True:
                try:
                    busy = await database_sync_to_async(self.drive_once)()
                    if loop.time() >= next_resync:
                        await database_sync_to_async(self.resync)()
                        next_resync = loop.time() + RESYNC_SECONDS
                except Exception:
                    log.exception("driver slice failed")
                    busy = False
                if busy:
                    continue
                try:
                    await asyncio.wait_for(wake.wait(), TICK_SECONDS)
                except asyncio.TimeoutError:
                    pass
                wake.clear()
        finally:
            await database_sync_to_async(release)(self.holder)


WAKE = asyncio.Event()
_in_driver = threading.local()


class ControllerWorker(AsyncConsumer):
    """The `kubesim-controllers` channel: messages only wake the driver (they carry no state)."""

    async def reconcile_request(self, message):
        WAKE.set()


def nudge(cluster_id: int, touched) -> None:
    """After commit: tell the driver(s) there may be work (at most once, never required)."""
    if getattr(_in_driver, "active", False):
        return  # the driver's own writes: it is running already
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.send)(CHANNEL, {"type": "reconcile.request", "cluster": cluster_id})
    except Exception:  # a full channel or an absent layer only delays convergence
        log.debug("could not nudge the controllers", exc_info=True)


_started: list[asyncio.Task] = []


def start_embedded() -> None:
    """Start the driver and the worker consumer on the running loop (once per process)."""
    from channels.routing import ChannelNameRouter
    from channels.worker import Worker

    if _started:
        return
    layer = get_channel_layer()
    worker = Worker(application=ChannelNameRouter({CHANNEL: ControllerWorker.as_asgi()}),
                    channels=[CHANNEL], channel_layer=layer)
    _started.append(asyncio.ensure_future(worker.arun()))
    _started.append(asyncio.ensure_future(Driver().run(WAKE)))

