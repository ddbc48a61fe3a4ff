"""Watch: a stream of JSON lines, one per change, read from the store's change log.

The store appends a `Change` row (resourceVersion, type, full object) for every write and
commits in resourceVersion order, so "everything after version N" is one indexed range query
on (cluster, resource_version). A watcher reads that range when woken by a commit, or every
`POLL_SECONDS` (pacing of the network stream: simulated time plays no part here), and writes
each event as soon as it sees it.

Semantics follow kube-apiserver's watch cache:

- events strictly after `resourceVersion`; none given (or "0"): a synthetic ADDED for every
  object first; `sendInitialEvents=true` adds the `k8s.io/initial-events-end` bookmark after them;
- a version older than the retained log: an in-stream `410 Expired` ERROR (clients re-list);
- selectors are applied per event, and with a selector an object can start or stop matching:
  that watcher then sees ADDED or DELETED (the object's earlier version, from the log, decides);
- `allowWatchBookmarks`: a BOOKMARK every `BOOKMARK_SECONDS` and one just before the end, at a
  version whose events have all been sent;
- Table watches: each event carries a one-row Table, the first with the column definitions;
- the stream ends after `timeoutSeconds`, or after a random 30-60 minutes as the real server.

Commits made in this process (API writes, the embedded controllers) wake the watchers at once
(`Wakeups`); polling is what catches writers in other processes.
"""
from __future__ import annotations

import asyncio
import logging
import random
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import AsyncIterator

from django.db.models import Min

from cluster.errors import ApiError, BadRequest
from cluster.models import Change, Cluster
from k8sapi import tables
from k8sapi.cache import Item, encode
from k8sapi.reads import Selection, committed, snapshot
from k8sapi.threads import in_thread

POLL_SECONDS = 0.05
BOOKMARK_SECONDS = 10.0
MIN_TIMEOUT_SECONDS = 30 * 60  # the apiserver's --min-request-timeout; watches last 1-2x that
BATCH = 1000  # changes read per query; a longer backlog is read in several rounds
INITIAL_EVENTS_END = "k8s.io/initial-events-end"

log = logging.getLogger(__name__)


class Expired(ApiError):
    code = 410
    reason = "Expired"


@dataclass(frozen=True)
class WatchOptions:
    resource_version: str | None = None
    allow_bookmarks: bool = False
    send_initial_events: bool | None = None
    timeout_seconds: float | None = None
    table: tables.TableOptions | None = None

    def duration(self) -> float:
        if self.timeout_seconds is not None:
            return self.timeout_seconds
        return MIN_TIMEOUT_SECONDS * (1 + random.random())


def line(event_type: str, body: bytes) -> bytes:
    """One event: `body` is the object's JSON."""
    return b'{"type":"' + event_type.encode() + b'","object":' + body + b"}\n"


class Watcher:
    """One watch's position and memory. Its methods touch the database: call them in a thread."""

    def __init__(self, cluster: Cluster, sel: Selection, opts: WatchOptions):
        self.cluster = cluster
        self.sel = sel
        self.opts = opts
        self.last = 0  # every change up to here has been considered
        self.matched: dict[str, bool] = {}  # uid -> matched the selector at its last event (mutable selectors)
        self.columns_sent = False
        self.ended = False

    # --- the first lines ------------------------------------------------------------------

    def start(self) -> list[bytes]:
        rv = self.opts.resource_version
        initial = self.opts.send_initial_events
        if initial or (initial is None and rv in (None, "", "0")):
            return self._initial_events()
        if rv in (None, "", "0"):
            self.last = committed(self.cluster.pk)[0]
            return []
        try:
            self.last = int(rv)
        except ValueError:
            raise BadRequest(f'resourceVersion: Invalid value: "{rv}": must be a number') from None
        oldest = Change.objects.filter(cluster=self.cluster).aggregate(oldest=Min("resource_version"))["oldest"]
        if oldest is not None and self.last < oldest - 1:
            self.ended = True
            error = Expired(f"too old resource version: {self.last} ({oldest - 1})")
            return [line("ERROR", encode(error.status()))]
        return []

    def _initial_events(self) -> list[bytes]:
        snap = snapshot(self.cluster, self.sel)
        self.last = snap.resource_version
        lines = []
        for item in snap.items:
            if self.sel.mutable:
                self.matched[item.obj["metadata"]["uid"]] = True
            lines.append(line("ADDED", self._shown(item, snap.now)))
        if self.opts.send_initial_events:
            lines.append(self.bookmark(initial_events_end=True))
        return lines

    # --- then the changes -----------------------------------------------------------------

    def poll(self) -> tuple[list[bytes], bool]:
        """Lines for the changes committed since the last poll; True if more are waiting."""
        top, now = committed(self.cluster.pk)
        if top <= self.last:
            return [], False
        changes = Change.objects.filter(cluster=self.cluster, kind=self.sel.resource.kind,
                                        resource_version__gt=self.last, resource_version__lte=top)
        if self.sel.namespace is not None:
            changes = changes.filter(namespace=self.sel.namespace)
        rows = list(changes.order_by("resource_version").values_list("resource_version", "type", "uid", "object")[:BATCH])
        more = len(rows) == BATCH
        lines = []
        for rv, type_, uid, obj in rows:
            event = self._event(rv, type_, uid, obj)
            if event is not None:
                lines.append(line(event, self._shown(Item(obj), now)))
        self.last = rows[-1][0] if more else top
        return lines, more

    def _event(self, rv: int, type_: str, uid: str, obj: dict) -> str | None:
        """The event this watcher sees for a change, given its selectors (None: nothing)."""
        now_matches = self.sel.matches(obj)
        if not self.sel.mutable:
            return type_ if now_matches else None
        was = self.matched.get(uid)
        if was is None:
            was = type_ != Change.ADDED and self._matched_before(uid, rv)
        if type_ == Change.DELETED:
            self.matched.pop(uid, None)
            return type_ if now_matches or was else None
        self.matched[uid] = now_matches
        if now_matches:
            return Change.MODIFIED if was else Change.ADDED
        return Change.DELETED if was else None

    def _matched_before(self, uid: str, rv: int) -> bool:
        before = (Change.objects.filter(cluster=self.cluster, uid=uid, resource_version__lt=rv)
                  .order_by("-resource_version").values_list("type", "object").first())
        return before is not None and before[0] != Change.DELETED and self.sel.matches(before[1])

    # --- shapes ---------------------------------------------------------------------------

    def _shown(self, item: Item, now: datetime) -> bytes:
        table = self.opts.table
        if table is None:
            return item.json
        shown = tables.table_json(item.obj["kind"], [item], now, include=table.include,
                                  resource_version=item.resource_version, version=table.version,
                                  with_columns=not self.columns_sent)
        self.columns_sent = True
        return shown

    def bookmark(self, *, initial_events_end: bool = False) -> bytes:
        meta: dict = {"resourceVersion": str(self.last)}
        if initial_events_end:
            meta["annotations"] = {INITIAL_EVENTS_END: "true"}
        if self.opts.table is not None:
            obj = {"kind": "Table", "apiVersion": f"meta.k8s.io/{self.opts.table.version}", "metadata": meta,
                   "columnDefinitions": None, "rows": None}
        else:
            res = self.sel.resource
            obj = {"kind": res.kind, "apiVersion": res.api_version, "metadata": meta}
        return line("BOOKMARK", encode(obj))


class Wakeups:
    """Commits made in this process wake its watchers at once, instead of at their next poll.

    The store announces every commit (keys only) to its subscribers from the committing thread;
    each waiting watcher holds an `asyncio.Event` on its loop. API writes and the embedded
    controllers commit in this process; writers elsewhere (`manage.py`, other workers) are
    still seen within `POLL_SECONDS`.
    """

    def __init__(self) -> None:
        self._waiting: dict[int, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}
        self._lock = threading.Lock()

    def register(self, cluster_id: int) -> tuple[asyncio.AbstractEventLoop, asyncio.Event]:
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiting.setdefault(cluster_id, set()).add(entry)
        return entry

    def unregister(self, cluster_id: int, entry: tuple[asyncio.AbstractEventLoop, asyncio.Event]) -> None:
        with self._lock:
            self._waiting.get(cluster_id, set()).discard(entry)

    def committed(self, cluster_id: int, touched: list) -> None:
        """`cluster.store` subscriber: runs after each commit, in the committing thread."""
        with self._lock:
            entries = list(self._waiting.get(cluster_id, ()))
        for loop, event in entries:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # that loop has closed: its watch is gone
                pass


WAKEUPS = Wakeups()


async def stream(watcher: Watcher, first: list[bytes]) -> AsyncIterator[bytes]:
    """The response body: `first` (from `Watcher.start`, run before the response began), then
    changes as they commit, until the timeout. Errors after the start become an ERROR event."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + watcher.opts.duration()
    bookmarks = watcher.opts.allow_bookmarks
    yield b""  # daphne sends the status line with the first body write: do it now, as the apiserver
    for i in range(0, len(first), 200):
        yield b"".join(first[i:i + 200])
    if watcher.ended:
        return
    poll = in_thread(watcher.poll)
    next_bookmark = loop.time() + BOOKMARK_SECONDS
    entry = WAKEUPS.register(watcher.cluster.pk)
    wake = entry[1]
    try:
        while loop.time() < deadline:
            wake.clear()  # before reading: a commit during the read wakes the next wait at once
            lines, more = await poll()
            if lines:
                yield b"".join(lines)
            if bookmarks and loop.time() >= next_bookmark:
                yield watcher.bookmark()
                next_bookmark = loop.time() + BOOKMARK_SECONDS
            if not more:
                try:
                    await asyncio.wait_for(wake.wait(), min(POLL_SECONDS, max(deadline - loop.time(), 0)))
                except asyncio.TimeoutError:
                    pass
        if bookmarks:
            yield watcher.bookmark()
    except ApiError as exc:
        yield line("ERROR", encode(exc.status()))
    except Exception as exc:  # the status line is sent: report in-stream, as the apiserver does
        log.exception("watch of %s failed", watcher.sel.resource.plural)
        yield line("ERROR", encode(ApiError(f"watch failed: {exc}").status()))
    finally:
        WAKEUPS.unregister(watcher.cluster.pk, entry)
