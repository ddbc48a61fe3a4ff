"""The floor of a controller benchmark: what writing the rows of the run costs, raw.

Every write through the store is an object row and a change-log row (what watches replay). The
run's own change-log rows are inserted again, raw, in one `executemany` (the same texts, the
same table and index); twice that time, for object rows and log rows, is what these writes cost
before any controller, validation or event logic runs.
"""
from __future__ import annotations

import time

from django.db import connection, transaction

from cluster.models import Change


def rows_floor(cluster, since_rv: int) -> tuple[int, float]:
    """The writes of the run (change-log rows after `since_rv`), and twice the time a raw
    insert of those same rows takes (one object row and one log row per write)."""
    table = Change._meta.db_table
    columns = "cluster_id, resource_version, type, kind, namespace, name, uid, object"
    with connection.cursor() as cur:
        cur.execute(f"SELECT {columns} FROM {table} WHERE cluster_id = %s AND resource_version > %s",
                    [cluster.pk, since_rv])
        rows = cur.fetchall()
    shift = 10**12
    copies = [(c, rv + shift, *rest) for c, rv, *rest in rows]
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * 8)})", copies)
    elapsed = time.perf_counter() - start
    Change.objects.filter(cluster=cluster, resource_version__gt=shift).delete()
    return len(rows), 2 * elapsed
