"""After-commit announcements for the live pages: which regions of which cluster changed.

`announce(cluster_id, touched)` is a `store.subscribe` hook: it runs in the writer's thread right
after each commit, so it must stay cheap and never block. It maps the touched keys to region
keys (pure, no database), and hands one small message to the channel layer: `{"type":
"cluster.changed", "regions": [...], "seq": n}` to group `kubesim.cluster.<id>`. Messages name
regions, never state: each consumer re-reads the current state when it renders, so a late,
lost or repeated message is harmless (the next one, or the 1 s poll, catches up).

With the in-memory channel layer (one process), the message is scheduled on the server's event
loop without waiting (`run_coroutine_threadsafe`); a process with no live page connected (a
management command, a unit test) has nobody to tell and sends nothing. With a cross-process
layer (Redis) it is sent synchronously, guarded against errors.
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
    """Called by the first consumer that connects: the loop the live pages run on."""
    global _loop
    with _lock:
        _loop = loop


def keys_for(touched) -> set[str]:
    """Region keys for a batch of touched objects (page-independent; each page maps its own)."""
    keys = {"explain", "counts"}
    for t in touched:
        kind = t.kind
        if kind == "Pod":
            keys.add("table:Pod")
            if not t.node_name:
                keys.add("tray")
            elif t.type == "MODIFIED":
                keys.add(f"pod:{t.namespace}/{t.name}@{t.node_name}")  # the page decides: chip or card
                keys.add("tray")                                      # it may just have been bound
            else:
                keys |= {f"node:{t.node_name}", "tray"}
            if t.owner_kind:
                keys.add(f"owner:{t.owner_kind}/{t.namespace}/{t.owner_name}")
                keys.add("owners")
        elif kind == "Node":
            keys |= {"table:Node", f"node:{t.name}", "ds-nodes", "tray"}
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


def send(cluster_id: int, keys: set[str] | list[str]) -> None:
    """Tell the live pages of `cluster_id` that these regions changed (never raises)."""
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
