"""What the pages show, computed in Python so that templates only display."""
from __future__ import annotations

from cluster import printers, store
from cluster.bootstrap import ensure_cluster
from cluster.models import Cluster, DaemonSet, Job, Node, Pod

TABLE_KINDS = (("Nodes", Node), ("Pods", Pod), ("DaemonSets", DaemonSet), ("Jobs", Job))


def overview_context(cluster_name: str) -> dict:
    cluster = Cluster.objects.filter(name=cluster_name).first() or ensure_cluster()
    now = store.now(cluster)
    tables = []
    for title, model in TABLE_KINDS:
        objs = [o.to_dict() for o in model.objects.filter(cluster=cluster).order_by("namespace", "name")]
        tables.append({"title": title, "text": printers.format_table(objs, now) if objs else "No resources found"})
    return {"cluster": cluster, "sim_now": now, "tables": tables}
