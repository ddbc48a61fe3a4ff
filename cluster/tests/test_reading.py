"""Read-only views (`cluster.reading`): the same objects as `to_dict()`, read through caches that
can never serve a version that was not committed."""
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cluster import reading, store
from cluster.bootstrap import ensure_cluster
from cluster.models import Pod


def pod(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}}


@pytest.mark.django_db
def test_views_and_stored_handles_equal_what_the_rows_hold():
    cluster = ensure_cluster()
    store.create_many(cluster, [pod("a"), pod("b")])
    rows = Pod.objects.filter(cluster=cluster).order_by("name")
    assert reading.views(rows) == [row.to_dict() for row in rows]
    assert [(name, obj) for name, obj in reading.views(rows, "name")] == [(r.name, r.to_dict()) for r in rows]
    handles = reading.stored(rows)
    assert [(h.pk, h.resource_version, h.view()) for h in handles] == [(r.pk, r.resource_version, r.to_dict()) for r in rows]


@pytest.mark.django_db(transaction=True)
def test_a_committed_version_is_read_once_then_only_its_version_is():
    cluster = ensure_cluster()
    store.create_many(cluster, [pod("a"), pod("b")])
    rows = Pod.objects.filter(cluster=cluster).order_by("name")
    first = reading.views(rows)
    with CaptureQueriesContext(connection) as queries:
        again = reading.views(rows)
    assert again == first
    assert len(queries) == 1 and '"metadata"' not in queries[0]["sql"]     # versions only, no JSON
    store.update_status(Pod.objects.get(cluster=cluster, name="b"), {"phase": "Running"})
    with CaptureQueriesContext(connection) as queries:
        changed = reading.views(rows)
    assert len(queries) == 2                                                  # and the JSON of "b" alone
    assert changed[0] is not None and changed[0]["metadata"] is first[0]["metadata"]
    assert changed[1]["status"]["phase"] == "Running"
    assert changed == [row.to_dict() for row in rows]


@pytest.mark.django_db(transaction=True)
def test_a_version_read_in_a_transaction_that_rolled_back_is_never_served():
    """A rolled-back write's resourceVersion is handed out again, to other content."""
    cluster = ensure_cluster()
    store.create(cluster, pod("a"))
    rows = Pod.objects.filter(cluster=cluster)
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            store.update_status(Pod.objects.get(cluster=cluster, name="a"), {"phase": "Failed"})
            inside = reading.views(rows)[0]
            assert inside["status"]["phase"] == "Failed"
            raise RuntimeError("the pass failed")
    store.update_status(Pod.objects.get(cluster=cluster, name="a"), {"phase": "Running"})
    row = Pod.objects.get(cluster=cluster, name="a")
    assert row.resource_version == int(inside["metadata"]["resourceVersion"])   # the same version number
    assert reading.views(rows)[0]["status"]["phase"] == "Running"
