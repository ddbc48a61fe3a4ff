"""One WebSocket per page: group membership, coalescing, and relaying rendered partials.

A `PageConsumer` joins the cluster's group (`kubesim.cluster.<id>`) and shares a `Hub` with the
consumers showing the same page the same way (same URL, query and permission) in this process.
On connect the hub sends it a full snapshot of the page's regions, unless the page it belongs to
is current: the page passes the version it was rendered from (`?v=cluster.rv.decision`, see
`Page.version`) and if the cluster is still there, nothing needs re-sending. Sockets that want a
snapshot at the same moment share one render.

Announcements of this process reach the hubs directly (`live.listen`, one call per hub); those of
other processes come through the group (a cross-process layer) and each consumer hands them to
its hub. The hub merges their region keys (de-duplicated by the message's `seq`), waits a short
moment so one engine step's writes land in one frame, renders the affected regions once (in the
live pages' own thread, off the event loop), and sends the same text to all its consumers. A hub
sends about 10 frames a second per client at most (`FrameBudget`: one per `MIN_INTERVAL` on
average, `BURST` in a row after a quiet spell).

Each hub also polls once a second: it pushes the clock when pause or speed changed (or every few
seconds while running, to re-sync the client-side clock), the Explain feed when a decision was
recorded without an object write, and a full snapshot when the cluster changed in another
process (no message came) or was reset. The consumer writes nothing.
"""
from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl

from channels.generic.websocket import AsyncWebsocketConsumer

from dashboard import live

log = logging.getLogger(__name__)

MIN_INTERVAL = 0.1      # seconds per frame of one hub, on average (10 frames/s per client)
BURST = 2               # frames a hub may send closer together than that after a quiet spell
GATHER = 0.004          # wait this long after the first announcement for others of the same moment
POLL = 1.0              # seconds between polls (clock, decisions, changes from other processes)
CLOCK_RESYNC = 5.0      # push the clock at least this often while it runs


_RENDERER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kubesim-live")


def _run_with_db(fn, args, kwargs):
    from django.db import connection

    if connection.connection is not None and not connection.is_usable():
        connection.close()
    try:
        return fn(*args, **kwargs)
    except Exception:
        connection.close()      # whatever went wrong, the next call starts from a fresh connection
        raise


def _db(fn):
    """Run ORM code in the live pages' own thread: not the event loop, not the engine's thread.
    One thread for every hub of the process (renders are CPU work under one GIL anyway), which
    keeps its database connection between renders: opening one (SQLite: connect, pragmas,
    Django's functions) would cost more than a frame of chips."""
    async def call(*args, **kwargs):
        return await asyncio.get_running_loop().run_in_executor(_RENDERER, _run_with_db, fn, args, kwargs)
    return call


class FrameBudget:
    """When a hub may send its next frame: at most `burst` + T / `interval` frames in any T
    seconds (the generic cell rate algorithm, a token bucket kept as one time).

    A fixed gap of `interval` after each frame would lock onto the engine's own rhythm: the
    worker steps every 100 ms, and a step committing a little earlier than the last one would
    wait out the rest of the gap, a delay that then carries over from frame to frame. With a
    budget, a frame a few ms early is sent at once, and the rate over a second stays capped.
    """

    def __init__(self, interval: float = MIN_INTERVAL, burst: int = BURST):
        self.interval = interval
        self.burst = burst
        self.due = 0.0          # when the next frame would be due at the steady rate

    def wait(self, now: float) -> float:
        """Seconds from `now` until a frame may be sent."""
        return max(0.0, self.due - (self.burst - 1) * self.interval - now)

    def spend(self, now: float) -> None:
        """A frame is sent at `now`."""
        self.due = max(self.due, now) + self.interval


class Hub:
    """Consumers that render identically, in one process."""

    hubs: dict[tuple, "Hub"] = {}
    watchers: dict[str, set] = {}

    def __init__(self, key: tuple, page_factory, cluster_name: str):
        self.key = key
        self.page_factory = page_factory
        self.cluster_name = cluster_name
        self.consumers: set[PageConsumer] = set()
        self.page = None
        self.cluster_id: int | None = None
        self.dirty: set[str] = set()
        self.seen: set[str] = set()
        self.flushing: asyncio.Task | None = None
        self.budget = FrameBudget()
        self.poller: asyncio.Task | None = None
        self.snapshot_state: dict = {}
        self.render_lock = asyncio.Lock()
        self.waiting: set[PageConsumer] = set()          # sockets waiting for a snapshot
        self.snapshotting: asyncio.Task | None = None

    @classmethod
    def deliver(cls, cluster_id: int, message: dict) -> None:
        """An announcement of this process (`live.listen`): straight to the cluster's hubs."""
        for hub in list(cls.hubs.values()):
            if hub.cluster_id == cluster_id:
                hub.mark(message.get("regions") or (), message.get("seq"))

    @classmethod
    def get(cls, key, page_factory, cluster_name) -> "Hub":
        hub = cls.hubs.get(key)
        if hub is None:
            hub = cls.hubs[key] = Hub(key, page_factory, cluster_name)
        return hub

    def add(self, consumer: "PageConsumer") -> None:
        self.consumers.add(consumer)
        Hub.watchers.setdefault(self.cluster_name, set()).add(consumer)
        if self.poller is None or self.poller.done():
            self.poller = asyncio.ensure_future(self.poll())

    def remove(self, consumer: "PageConsumer") -> None:
        self.consumers.discard(consumer)
        Hub.watchers.get(self.cluster_name, set()).discard(consumer)
        if not self.consumers:
            if self.poller:
                self.poller.cancel()
            Hub.hubs.pop(self.key, None)

    # -- rendering ---------------------------------------------------------------------------
    def _page(self):
        if self.page is None:
            self.page = self.page_factory()
        return self.page

    def _cluster(self):
        """The cluster row with its latest decision's id, in one query (each query of a render
        gives the GIL away and waits to get it back while the engine computes)."""
        from django.db.models import OuterRef, Subquery

        from cluster.models import Cluster
        from controllers.models import Decision

        latest = Decision.objects.filter(cluster=OuterRef("pk")).order_by("-id").values("id")[:1]
        return Cluster.objects.filter(name=self.cluster_name).annotate(latest_decision=Subquery(latest)).first()

    def _render(self, keys: set[str]) -> tuple[str, int]:
        cluster = self._cluster()
        if cluster is None:
            return "", 0
        page = self._page()
        if page.cluster.pk != cluster.pk:       # reset: the row was recreated
            page.cluster = cluster
            keys = {"*"}
        else:
            page.cluster = cluster
        state = self._poll_state(cluster)       # read before the page: what the page shows is at least this
        page.state["latest_decision"] = state["decision"]
        html = page.frame(keys)
        self.snapshot_state = state
        return html, cluster.pk

    async def render(self, keys: set[str]) -> str:
        async with self.render_lock:
            html, cluster_id = await _db(self._render)(keys)
        if cluster_id and cluster_id != self.cluster_id:
            old, self.cluster_id = self.cluster_id, cluster_id
            for consumer in list(self.consumers):
                await consumer.rejoin(old, cluster_id)
        return html

    async def connected(self, consumer: "PageConsumer", version: str) -> None:
        """A new socket: a full snapshot, unless the page it belongs to was rendered from what
        the cluster is now (a page just loaded: it is current, and re-sending it would only cost
        the server a render and the browser a swap of everything). On reconnect the page's
        version is older than the cluster's whenever anything changed: the snapshot resyncs it."""
        if version:
            state = await _db(self._read_state)()
            if state is not None and version == version_of(state):
                if not self.snapshot_state:
                    self.snapshot_state = state
                return
        await self.snapshot_for(consumer)

    async def snapshot_for(self, consumer: "PageConsumer") -> None:
        """Send `consumer` a full snapshot. Sockets that ask while none is being rendered share
        one render (a class connecting at once costs one render, not thirty); one that asks
        during a render waits for the next, which reads the state after it joined."""
        self.waiting.add(consumer)
        if self.snapshotting is None or self.snapshotting.done():
            self.snapshotting = asyncio.ensure_future(self._snapshots())
        await asyncio.shield(self.snapshotting)

    async def _snapshots(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting, set()
                html = await self.render({"*"})
                if html:
                    text = html + self.watching_html()
                    for consumer in batch:
                        if consumer in self.consumers:
                            await consumer.safe_send(text)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("live snapshot failed")

    def watching_html(self) -> str:
        from django.template.loader import get_template

        count = len(Hub.watchers.get(self.cluster_name, ()))
        return get_template("dashboard/components.html#watching").render({"watchers": count, "oob": True})

    async def broadcast_watchers(self) -> None:
        html = self.watching_html()
        for hub in list(Hub.hubs.values()):
            if hub.cluster_name == self.cluster_name:
                for consumer in list(hub.consumers):
                    await consumer.safe_send(html)

    # -- changes -----------------------------------------------------------------------------
    def mark(self, regions, seq: str | None) -> None:
        regions = set(regions)
        if "reset" in regions:
            regions.add("*")
        if seq is not None:
            if seq in self.seen:
                return
            self.seen.add(seq)
            if len(self.seen) > 4096:
                self.seen = set(list(self.seen)[-1024:])
        self.dirty.update(regions)
        if self.flushing is None or self.flushing.done():
            self.flushing = asyncio.ensure_future(self.flush())

    async def flush(self) -> None:
        try:
            while self.dirty:
                await asyncio.sleep(max(GATHER, self.budget.wait(time.monotonic())))
                keys, self.dirty = self.dirty, set()
                self.budget.spend(time.monotonic())
                html = await self.render(keys)
                if html:
                    for consumer in list(self.consumers):
                        await consumer.safe_send(html)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("live frame failed")

    # -- the poll ----------------------------------------------------------------------------
    @staticmethod
    def _poll_state(cluster) -> dict:
        last = getattr(cluster, "latest_decision", None)
        if last is None and not hasattr(cluster, "latest_decision"):
            from controllers.models import Decision

            last = Decision.objects.filter(cluster=cluster).order_by("-id").values_list("id", flat=True).first()
        return {"id": cluster.pk, "paused": cluster.paused, "speed": cluster.speed, "rv": cluster.resource_version,
                "decision": last or 0}

    def _read_state(self) -> dict | None:
        cluster = self._cluster()
        return self._poll_state(cluster) if cluster else None

    async def poll(self) -> None:
        last_clock = time.monotonic()
        stale_rv = None
        while True:
            await asyncio.sleep(POLL)
            try:
                state = await _db(self._read_state)()
            except Exception:
                log.debug("poll failed", exc_info=True)
                continue
            if state is None or not self.snapshot_state:
                continue
            seen = self.snapshot_state
            keys: set[str] = set()
            if state["id"] != seen.get("id"):
                keys.add("*")
            if state["paused"] != seen.get("paused") or state["speed"] != seen.get("speed"):
                keys |= {"clock", "caption"}
            elif not state["paused"] and time.monotonic() - last_clock > CLOCK_RESYNC:
                keys.add("clock")
            if state["decision"] != seen.get("decision"):
                keys.add("explain")
            if state["rv"] != seen.get("rv") and not self.dirty and (self.flushing is None or self.flushing.done()):
                # written but not announced to this process: another process changed the cluster
                if stale_rv == state["rv"]:
                    keys.add("*")
                stale_rv = state["rv"]
            else:
                stale_rv = None
            if keys:
                if "clock" in keys:
                    last_clock = time.monotonic()
                self.mark(keys, None)


VERSION_PARAM = "v"


def version_of(state: dict) -> str:
    """The page version token: cluster row, resourceVersion, latest decision (`Page.version`)."""
    return f"{state['id']}.{state['rv']}.{state['decision']}"


live.listen(Hub.deliver)


class PageConsumer(AsyncWebsocketConsumer):
    """`/ws/<page path>`: the live regions of the page at `<page path>`."""

    async def connect(self):
        from django.urls import Resolver404, resolve

        from dashboard.pages import PAGES

        path = "/" + self.scope["url_route"]["kwargs"]["path"]
        try:
            match = resolve(path)
        except Resolver404:
            match = None
        page_cls = PAGES.get(match.url_name) if match and match.namespace == "dashboard" else None
        if page_cls is None:
            await self.close(code=4404)
            return
        kwargs = dict(match.kwargs)
        self.cluster_name = kwargs.pop("cluster")
        query = dict(parse_qsl(self.scope.get("query_string", b"").decode()))
        version = query.pop(VERSION_PARAM, "")   # what the page was rendered from (not part of the page)
        info = await _db(self._resolve)(self.scope.get("user"))
        if info is None:
            await self.close(code=4403)
            return
        cluster, viewer = info
        live.set_loop(asyncio.get_running_loop())
        self.group = live.group_name(cluster.pk)
        key = (self.cluster_name, match.url_name, tuple(sorted(kwargs.items())), tuple(sorted(query.items())), viewer.can_act)

        def factory(cluster=cluster, kwargs=kwargs, query=query, viewer=viewer, page_cls=page_cls):
            return page_cls(cluster, kwargs, query, viewer)

        self.hub = Hub.get(key, factory, self.cluster_name)
        if self.hub.cluster_id is None:
            self.hub.cluster_id = cluster.pk
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.hub.add(self)
        await self.hub.connected(self, version)
        await self.hub.broadcast_watchers()

    def _resolve(self, user):
        from cluster.models import Cluster
        from dashboard.presenters import viewer_for

        cluster = Cluster.objects.filter(name=self.cluster_name).first()
        if cluster is None:
            return None
        viewer = viewer_for(user)
        if not cluster.public and not viewer.signed_in:
            return None
        return cluster, viewer

    async def disconnect(self, code):
        hub = getattr(self, "hub", None)
        if hub is not None:
            hub.remove(self)
            await hub.broadcast_watchers()
        group = getattr(self, "group", None)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def rejoin(self, old_id: int | None, new_id: int) -> None:
        if old_id is not None:
            await self.channel_layer.group_discard(live.group_name(old_id), self.channel_name)
        self.group = live.group_name(new_id)
        await self.channel_layer.group_add(self.group, self.channel_name)

    async def cluster_changed(self, event):
        """`{"type": "cluster.changed", "regions": [...], "seq": "..."}` from `dashboard.live`
        through the group (another process's announcement, on a cross-process layer)."""
        self.hub.mark(event.get("regions") or (), event.get("seq"))

    async def safe_send(self, text: str) -> None:
        try:
            await self.send(text_data=text)
        except Exception:  # a client that went away mid-frame
            log.debug("send failed", exc_info=True)

    async def receive(self, text_data=None, bytes_data=None):
        """The page sends nothing that matters; a ping is answered with a fresh snapshot."""
        if text_data and "resync" in text_data:
            await self.hub.snapshot_for(self)
