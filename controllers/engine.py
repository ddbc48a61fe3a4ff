"""The engine: pops due keys in order, jumps the cluster's clock to them, runs their handler.

A key is `"<handler>:<name>"` (`daemonset:default/fluentd`, `kubelet:default/pi-x7k2p`,
`scheduler:`). Handlers are level-triggered: they get the key only, re-read the state, act
through the store, and return when they want to be woken again. The store's in-transaction
hook (`controllers.mapping`) turns every write into the keys that care, so a handler's own
writes wake whoever must react to them.

`step()` runs one batch (every key due at the earliest due time); `run_until(t)` steps until
nothing is due by `t`, then sets the clock to `t`; `run_until_idle()` fast-forwards from event
to event. Errors retry with exponential back-off on the simulated clock, never in a hot loop.
"""
from __future__ import annotations

import gc
import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from django.db import transaction

from cluster import store
from cluster.clock import SimClock
from cluster.models import Cluster
from controllers import queue
from controllers.models import Decision, WorkItem

log = logging.getLogger(__name__)

ERROR_BACKOFF_BASE = 1.0  # seconds of simulated time
ERROR_BACKOFF_MAX = 300.0


@dataclass(frozen=True)
class Result:
    """What a handler wants next: nothing, or to be woken after `requeue_after` seconds."""

    requeue_after: float | None = None

    @classmethod
    def done(cls) -> "Result":
        return cls()

    @classmethod
    def after(cls, seconds: float | None) -> "Result":
        return cls(seconds)


@dataclass
class Step:
    """What a handler gets besides its keys: the cluster, the time, and a decision recorder."""

    cluster: Cluster
    now: datetime
    decisions: list[dict] = field(default_factory=list)  # `Decision` rows, column values by name

    def decide(self, controller: str, verb: str, message: str, *, kind: str = "", namespace: str = "",
               name: str = "", node: str = "") -> None:
        self.decisions.append(
            {"cluster_id": self.cluster.pk, "time": self.now, "controller": controller, "verb": verb,
             "message": message, "kind": kind, "namespace": namespace, "name": name, "node": node}
        )


# handler(step, names) -> {name: Result}; batch handlers get every due name of their kind at once
Handler = Callable[[Step, list[str]], dict[str, Result]]
HANDLERS: dict[str, Handler] = {}


def register(prefix: str, handler: Handler) -> None:
    HANDLERS[prefix] = handler


def per_key(fn: Callable[[Step, str], Result]) -> Handler:
    """Adapt a one-key reconciler (`reconcile_daemonset(step, key)`) to the batch signature."""

    def handler(step: Step, names: list[str]) -> dict[str, Result]:
        return {name: fn(step, name) for name in names}

    handler.__name__ = fn.__name__
    return handler


def split_key(key: str) -> tuple[str, str]:
    prefix, _, name = key.partition(":")
    return prefix, name


class Collector:
    """How often the garbage collector scans everything while the engine fast-forwards.

    The controllers' read caches (`cluster.reading`) hold millions of small objects at 10,000
    pods. Python runs a full collection each time the objects that survived grow by a quarter,
    and each one scans them all: up to a second, in whichever pass it falls (13 s of the 10,000
    completion Job bench). While `run_until` or `run_until_idle` runs, the young generations are
    collected as usual (most cyclic garbage dies young) and a full collection runs once a
    minute of wall time instead; the thresholds are restored when the last such run ends. (The
    worker's live slices are short runs: Python's own rule applies between them.)
    """

    PERIOD = 60.0  # seconds of wall time between full collections while fast-forwarding

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.saved: tuple[int, int, int] | None = None
        self.last_full = time.monotonic()

    @contextmanager
    def fast_forward(self):
        with self.lock:
            if self.depth == 0:
                self.saved = gc.get_threshold()
                gc.set_threshold(self.saved[0], self.saved[1], 1 << 30)  # no automatic full collection
                self.last_full = time.monotonic()
            self.depth += 1
        try:
            yield
        finally:
            with self.lock:
                self.depth -= 1
                if self.depth == 0:
                    gc.set_threshold(*self.saved)

    def after_step(self) -> None:
        if self.depth and time.monotonic() - self.last_full > self.PERIOD:
            gc.collect()
            self.last_full = time.monotonic()


collector = Collector()


class Engine:
    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.clock = SimClock(cluster)

    def enqueue(self, keys, *, after: float = 0.0) -> None:
        queue.add(self.cluster, keys, self.clock.now() + timedelta(seconds=after))

    def resync(self) -> None:
        """Queue every workload once, as an informer's initial list does (the safety net)."""
        from controllers.mapping import all_workload_keys

        self.enqueue(all_workload_keys(self.cluster))

    def step(self, until: datetime | None = None) -> bool:
        """Run the batch due first (if due by `until`); returns whether anything ran."""
        until = until or self.clock.now()
        batch = queue.due_batch(self.cluster, until)
        if not batch:
            return False
        due = batch[0].due_at
        self.clock.set(due)
        now = self.clock.now()
        groups: dict[str, list[WorkItem]] = {}
        for item in batch:
            groups.setdefault(split_key(item.key)[0], []).append(item)
        with store.announcements_held():    # the live pages hear of the step once
            for prefix, items in groups.items():
                self._run(prefix, items, now)
        collector.after_step()
        return True

    def _run(self, prefix: str, items: list[WorkItem], now: datetime) -> None:
        handler = HANDLERS.get(prefix)
        pks = [i.pk for i in items]
        if handler is None:
            log.warning("no handler for %s; dropping %d key(s)", prefix, len(items))
            WorkItem.objects.filter(pk__in=pks).delete()
            return
        step = Step(self.cluster, now)
        try:
            with transaction.atomic():
                # Writers lock the cluster's counter row first (cluster.store); so does a pass,
                # before it touches the queue: a writer queueing a key this pass has claimed
                # would otherwise wait for the pass while the pass waits for the counter row.
                list(Cluster.objects.select_for_update().filter(pk=self.cluster.pk).values_list("pk"))
                # Claim first (rows another process took are skipped): a write during the
                # handler that wakes the same key re-adds it, and a crash rolls the claim back.
                claimed = list(WorkItem.objects.select_for_update(skip_locked=True)
                               .filter(pk__in=pks, due_at__lte=now).values_list("pk", "key"))
                if not claimed:
                    return
                WorkItem.objects.filter(pk__in=[pk for pk, _ in claimed]).delete()
                results = handler(step, [split_key(key)[1] for _, key in claimed])
                store.insert_rows(Decision, step.decisions)
                requeue: dict[float, list[str]] = {}
                for name, result in results.items():
                    if result.requeue_after is not None:
                        requeue.setdefault(max(result.requeue_after, 0.0), []).append(f"{prefix}:{name}")
                for after, keys in requeue.items():
                    queue.add(self.cluster, keys, now + timedelta(seconds=after))
        except Exception:
            if len(items) > 1:  # one bad key must not hold back the others: run each alone
                for item in items:
                    self._run(prefix, [item], now)
                return
            log.exception("%s failed for %s; retrying with back-off", prefix, items[0].key)
            self._retry_later(items[0], now)

    def _retry_later(self, item: WorkItem, now: datetime) -> None:
        failures = item.failures + 1
        delay = min(ERROR_BACKOFF_BASE * 2 ** (failures - 1), ERROR_BACKOFF_MAX)
        # The failed transaction rolled back its claim (and any wake-up it caused): the row is
        # still there, due now. Push it back by the delay.
        WorkItem.objects.update_or_create(
            cluster=self.cluster, key=item.key,
            defaults={"due_at": now + timedelta(seconds=delay), "failures": failures},
        )

    def run_until(self, t: datetime, *, max_steps: int = 100_000) -> int:
        """Run everything due by `t` in order, then leave the clock at `t`."""
        steps = 0
        with collector.fast_forward():
            while steps < max_steps and self.step(until=t):
                steps += 1
        if steps < max_steps:
            self.clock.set(t)
        return steps

    def run_until_idle(self, *, horizon: timedelta = timedelta(days=1), max_steps: int = 100_000) -> int:
        """Fast-forward from event to event until nothing is queued (or `horizon` is reached)."""
        limit = self.clock.now() + horizon
        steps = 0
        with collector.fast_forward():
            while steps < max_steps and self.step(until=limit):
                steps += 1
        return steps

    def advance(self, d: timedelta) -> int:
        return self.run_until(self.clock.now() + d)
