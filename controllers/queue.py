"""A keyed, de-duplicating work queue per cluster, ordered by due time on the simulated clock.

Like client-go's delaying workqueue: adding a key that is already queued keeps one entry, due
at the earlier of the two times. Keys due at the same time run in the order they were queued
(the row id breaks ties, as SimPy's event counter does). The queue is a table (`WorkItem`), so every worker process
sees the same queue and nothing is lost when one dies. Due work is found through the
`(cluster, due_at, id)` index, never by scanning objects.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from django.db import connection

from cluster.models import Cluster
from controllers.models import WorkItem


def add(cluster: Cluster | int, keys: Iterable[str], due: datetime) -> None:
    """Queue `keys` to run at `due` (or earlier, if already queued sooner)."""
    cluster_id = cluster if isinstance(cluster, int) else cluster.pk
    keys = set(keys)
    if not keys:
        return
    # One upsert (SQLite and PostgreSQL): a new key gets a row, a queued one keeps its row (and
    # its place among keys due at the same time), due at the earlier of the two times.
    table = connection.ops.quote_name(WorkItem._meta.db_table)
    when = connection.ops.adapt_datetimefield_value(due)
    with connection.cursor() as cur:
        cur.executemany(
            f"INSERT INTO {table} (cluster_id, key, due_at, failures) VALUES (%s, %s, %s, 0) "
            f"ON CONFLICT (cluster_id, key) DO UPDATE SET due_at = CASE "
            f"WHEN excluded.due_at < {table}.due_at THEN excluded.due_at ELSE {table}.due_at END",
            [(cluster_id, k, when) for k in sorted(keys)],
        )


def next_due(cluster: Cluster) -> datetime | None:
    item = WorkItem.objects.filter(cluster=cluster).order_by("due_at", "id").values_list("due_at", flat=True).first()
    return item


def due_batch(cluster: Cluster, until: datetime, limit: int = 2000) -> list[WorkItem]:
    """Every item due at the earliest due time (if that is <= until), in queue order."""
    first = next_due(cluster)
    if first is None or first > until:
        return []
    return list(WorkItem.objects.filter(cluster=cluster, due_at=first).order_by("id")[:limit])


def pending(cluster: Cluster) -> int:
    return WorkItem.objects.filter(cluster=cluster).count()
