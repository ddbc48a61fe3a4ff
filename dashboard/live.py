"""After-commit announcements for the live pages: which regions of which cluster changed.

`announce(cluster_id, touched)` is a `store.subscribe` hook: it runs in the writer's thread right
after each commit, so it must stay cheap and never block. It maps the touched keys to region
keys (pure, no database), and hands one small message to the channel layer: `{"type":
"cluster.changed", "regions": [...], "seq": n}` to group `kubesim.cluster.<id>`. Messages name
regions, never state: each consumer re-reads the current state when it renders, so a late,
lost or repeated message is harmless (the next one, or the 1 s poll, catches up).

With the in-memory channel layer (one process), the message is handed to the pages' hubs on
the server's event loop without waiting (`call_soon_threadsafe`: one call per hub, however many
sockets watch); a process with no live page connected (a management command, a unit test) has
nobody to tell and sends nothing. With a cross-process layer (Redis) it is sent to the group
synchronously, guarded against errors.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import os
import threading

from channels.layers import InMemoryChannelLayer, get_channel_layer

log = logging.getLogger(__name__)

_seq = itertools.count(1)
_prefix = f"{os.getpid()}:"
_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


def group_name(cluster_id: int) -> str:
    return f"kubesim.cluster.{cluster_id}"


def next_seq() -> str:
    return _prefix + str(next(_seq))


def set_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Called by every consumer that connects: the loop the live pages run on."""
    global _loop
    with _lock:
        _loop = loop


def keys_for(touched) -> set[str]:
    """Region keys for a batch of touched objects (page-independent; each page maps its own).

    The most frequent write, a status change of a pod on a node (the kubelet's), names only the
    pod (`pod:ns/name@node`): the page that shows it re-renders the chip and itself tells
    whether the pod's node, phase or deletion changed, which is when the counts, the workload
    strip and the tray need a look too. Anything else names those summaries directly.
    """
    keys = {"explain"}
    for t in touched:
        kind = t.kind
        if kind == "Pod":
            keys.add("table:Pod")
            if t.owner_kind:
                keys.add(f"owner:{t.owner_kind}/{t.namespace}/{t.owner_name}")
            if t.type == "MODIFIED" and t.node_name:
                keys.add(f"pod:{t.namespace}/{t.name}@{t.node_name}")  # the page decides: chip or card
                continue
            keys |= {"counts", "tray"}
            if t.node_name:
                keys.add(f"node:{t.node_name}")
            if t.owner_kind:
                keys.add("owners")
        elif kind == "Node":
            keys |= {"table:Node", f"node:{t.name}", "ds-nodes", "tray", "counts"}
            if t.type != "MODIFIED":
                keys.add("nodes")
        elif kind in ("DaemonSet", "Job", "CronJob"):
            keys |= {f"owner:{kind}/{t.namespace}/{t.name}", "owners", f"table:{kind}"}
            if kind == "DaemonSet":
                keys.add(f"ds:{t.namespace}/{t.name}")
                if t.type != "MODIFIED":
                    keys.add("nodes")
            if kind == "Job":
                keys.add("tray")
            if t.owner_kind:
                keys.add(f"owner:{t.owner_kind}/{t.namespace}/{t.owner_name}")
        elif kind == "ControllerRevision":
            if t.owner_kind:
                keys.add(f"owner:{t.owner_kind}/{t.namespace}/{t.owner_name}")
        elif kind == "Event":
            keys.add("events")
            involved = t.name.rpartition(".")[0] or t.name
            keys.add(f"event:{t.namespace}/{involved}")
    return keys


_listeners: list = []


def listen(fn) -> None:
    """`fn(cluster_id, message)` runs on the pages' event loop for every announcement of this
    process (the live pages' hubs: one call per hub, not one per socket)."""
    if fn not in _listeners:
        _listeners.append(fn)


def _deliver(cluster_id: int, message: dict) -> None:
    for fn in list(_listeners):
        try:
            fn(cluster_id, message)
        except Exception:
            log.exception("a live page could not take an announcement")


def send(cluster_id: int, keys: set[str] | list[str]) -> None:
    """Tell the live pages of `cluster_id` that these regions changed (never raises).

    With the in-memory layer every page is in this process: the message goes straight to the
    pages' hubs on their loop. A cross-process layer (Redis) carries it to every process's
    consumers through the cluster's group."""
    layer = get_channel_layer()
    if layer is None or not keys:
        return
    message = {"type": "cluster.changed", "regions": sorted(keys), "seq": next_seq()}
    group = group_name(cluster_id)
    loop = _loop
    try:
        if isinstance(layer, InMemoryChannelLayer):
            if loop is None or loop.is_closed():
                return  # no page is connected to this process
            if _listeners:
                loop.call_soon_threadsafe(_deliver, cluster_id, message)
                return
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                loop.create_task(layer.group_send(group, message))
            else:
                asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
            return
        from asgiref.sync import async_to_sync

        async_to_sync(layer.group_send)(group, message)
    except Exception:  # a full channel or a closed loop only delays the page: the poll catches up
        log.debug("could not announce a change to the live pages", exc_info=True)


def announce(cluster_id: int, touched) -> None:
    """The `store.subscribe` hook."""
    send(cluster_id, keys_for(touched))
