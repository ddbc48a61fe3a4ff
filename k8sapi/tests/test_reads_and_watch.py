"""Lists are snapshots at their resourceVersion; watchers see what their selectors select.

These drive `reads` and `watch.Watcher` in-process on the store (the live tests cover the wire)."""
from __future__ import annotations

import gzip
import json
from datetime import timedelta

import pytest

from cluster import printers, store
from cluster.bootstrap import ensure_cluster, node_manifest
from cluster.clock import SimClock
from cluster.errors import BadRequest
from cluster.kinds import resource_for
from k8sapi import cache, reads, tables
from k8sapi.cache import Item
from k8sapi.watch import Watcher, WatchOptions

pytestmark = pytest.mark.django_db
POD = resource_for("Pod")


def pod(name: str, **labels) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}


def relabel(cluster, name: str, **labels) -> None:
    store.patch(cluster, "Pod", "default", name, {"metadata": {"labels": labels}})


@pytest.fixture
def cluster():
    c = ensure_cluster()
    store.create_many(c, [node_manifest("node-1"), pod("a", app="x"), pod("b", app="y")])
    return c


def events(lines: list[bytes]) -> list[tuple[str, str]]:
    decoded = [json.loads(line) for line in lines]
    return [(e["type"], e["object"]["metadata"].get("name", "")) for e in decoded]


def test_selectors(cluster):
    sel = reads.selection(POD, "default", "app=x")
    assert [o["metadata"]["name"] for o in reads.snapshot(cluster, sel).objects] == ["a"]
    assert sel.mutable
    assert not reads.selection(POD, "default", None, "metadata.name=a").mutable
    with pytest.raises(BadRequest, match="field label not supported: spec.color"):
        reads.selection(POD, None, None, "spec.color=blue")
    node = resource_for("Node")
    unschedulable = reads.selection(node, None, None, "spec.unschedulable=false")
    assert len(reads.snapshot(cluster, unschedulable).objects) == 1


def test_a_list_is_the_state_at_its_version_even_when_writes_land_during_it(cluster, monkeypatch):
    sel = reads.selection(POD, "default")
    read_rows = cache.CACHE.items

    def rows_then_writes(*args, **kwargs):
        found = read_rows(*args, **kwargs)
        store.create(cluster, pod("c"))
        store.delete(cluster, "Pod", "default", "a")
        relabel(cluster, "b", app="z")
        return found

    monkeypatch.setattr(cache.CACHE, "items", rows_then_writes)
    snap = reads.snapshot(cluster, sel)
    cluster.refresh_from_db()
    assert snap.resource_version == cluster.resource_version
    assert [(o["metadata"]["name"], o["metadata"]["labels"]) for o in snap.objects] == [("b", {"app": "z"}), ("c", {})]


def test_the_cache_decodes_only_what_changed(cluster):
    sel = reads.selection(POD, "default")
    first = reads.snapshot(cluster, sel)
    relabel(cluster, "b", app="w")
    second = reads.snapshot(cluster, sel)
    assert second.items[0] is first.items[0]  # "a" did not change: the same decoded object
    assert second.items[1] is not first.items[1]
    assert second.objects[1]["metadata"]["labels"] == {"app": "w"}


def test_table_json_is_the_printers_table(cluster):
    for kind, include in (("Pod", "Metadata"), ("Pod", "Object"), ("Node", "None")):
        snap = reads.snapshot(cluster, reads.selection(resource_for(kind), None))
        expected = printers.api_table(snap.objects, snap.now, include_object=include)
        expected["metadata"]["resourceVersion"] = "42"
        got = json.loads(tables.table_json(kind, snap.items, snap.now, include=include, resource_version=42))
        assert got == expected
    empty = json.loads(tables.table_json("Job", [], snap.now, include="Metadata", resource_version=7))
    assert empty["rows"] == [] and empty["columnDefinitions"][0]["name"] == "Name"
    listed = json.loads(tables.list_json("Pod", "v1", [Item({"kind": "Pod"})], 9))
    assert listed == {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "9"},
                      "items": [{"kind": "Pod"}]}


def test_a_watch_from_nothing_starts_with_everything(cluster):
    watcher = Watcher(cluster, reads.selection(POD, "default"), WatchOptions())
    assert events(watcher.start()) == [("ADDED", "a"), ("ADDED", "b")]
    store.create(cluster, pod("c"))
    assert events(watcher.poll()[0]) == [("ADDED", "c")]
    assert watcher.poll() == ([], False)


def test_a_label_watch_sees_objects_start_and_stop_matching(cluster):
    cluster.refresh_from_db()
    start = str(cluster.resource_version)
    relabel(cluster, "b", app="x")       # b starts matching: ADDED (its earlier version did not)
    relabel(cluster, "a", app="y")       # a stops matching: DELETED for this watcher
    relabel(cluster, "a", tier="1")      # a still does not match: nothing
    store.delete(cluster, "Pod", "default", "b")
    watcher = Watcher(cluster, reads.selection(POD, "default", "app=x"), WatchOptions(resource_version=start))
    assert watcher.start() == []
    lines, more = watcher.poll()
    assert events(lines) == [("ADDED", "b"), ("DELETED", "a"), ("DELETED", "b")]
    assert not more


def test_bookmarks_carry_the_last_version_considered(cluster):
    watcher = Watcher(cluster, reads.selection(resource_for("Node"), None),
                      WatchOptions(resource_version="0", send_initial_events=True, allow_bookmarks=True))
    lines = watcher.start()
    cluster.refresh_from_db()
    assert events(lines) == [("ADDED", "node-1"), ("BOOKMARK", "")]
    end = json.loads(lines[-1])["object"]
    assert end == {"kind": "Node", "apiVersion": "v1", "metadata": {
        "resourceVersion": str(cluster.resource_version), "annotations": {"k8s.io/initial-events-end": "true"}}}
    store.create(cluster, pod("c"))  # another kind: no event, but the bookmark moves on
    assert watcher.poll() == ([], False)
    assert json.loads(watcher.bookmark())["object"]["metadata"]["resourceVersion"] == str(cluster.resource_version + 1)


# --- cached list bodies and rows ---------------------------------------------------------------


def pod_table(cluster, sel=None, include: str = "Metadata") -> cache.Body:
    sel = sel or reads.selection(POD, None)

    def render(snap: reads.Snapshot) -> cache.Template:
        return tables.table_template("Pod", snap.items, include=include, resource_version=snap.resource_version)

    return reads.list_body(cluster, sel, tables.TableOptions("v1", include), render)


def ages(body: cache.Body) -> dict[str, str]:
    return {row["cells"][0]: row["cells"][4] for row in json.loads(body.data)["rows"]}


def test_a_list_asked_again_unchanged_is_the_same_body(cluster):
    first = pod_table(cluster)
    assert pod_table(cluster) is first  # nothing written, clock still: not even a row read
    expected = printers.api_table(reads.snapshot(cluster, reads.selection(POD, None)).objects, store.now(cluster))
    assert json.loads(first.data)["rows"] == expected["rows"]
    # another shape or selection is another body
    assert pod_table(cluster, include="None") is not first
    selected = json.loads(pod_table(cluster, reads.selection(POD, None, "app=y")).data)
    assert [row["cells"][0] for row in selected["rows"]] == ["b"]


def test_a_write_or_a_clock_step_gives_a_new_body(cluster):
    first = pod_table(cluster)
    store.create(cluster, pod("c"))
    second = pod_table(cluster)
    assert second is not first
    cluster.refresh_from_db()
    assert json.loads(second.data)["metadata"]["resourceVersion"] == str(cluster.resource_version)
    assert list(ages(second)) == ["a", "b", "c"]
    assert set(ages(second).values()) == {"0s"}
    SimClock(cluster).step(timedelta(minutes=3))
    third = pod_table(cluster)
    assert third is not second and set(ages(third).values()) == {"3m"}  # same version, ages moved


def test_rows_are_printed_once_per_version_whatever_the_clock(cluster, monkeypatch):
    sel = reads.selection(POD, "default")
    item = reads.snapshot(cluster, sel).items[0]
    now = store.now(cluster)
    later = now + timedelta(hours=2)
    expected = {t: cache.encode(printers.row_cells(item.obj, t)) for t in (now, later)}
    printed = []
    row_template = printers.row_template
    monkeypatch.setattr(printers, "row_template", lambda obj: printed.append(obj) or row_template(obj))
    cells = item.cells_json(now)
    assert cells == expected[now]
    assert item.cells_json(later) == expected[later]
    assert json.loads(item.cells_json(later))[4] == "120m"
    assert len(printed) == 1  # printed once; only the AGE was formatted again
    relabel(cluster, "a", app="v")  # a new version is printed again
    assert reads.snapshot(cluster, sel).items[0].cells_json(later) == cells.replace(b'"0s"', b'"120m"')
    assert len(printed) == 2


def test_the_response_cache_is_bounded(cluster):
    responses = cache.ResponseCache(max_entries=2, max_bytes=100)
    now = store.now(cluster)

    def put(key, version, data):
        responses.put(key, version, cache.Template.of(data), now, cache.Body(data))

    for key in "abc":
        put(key, 1, b"x" * 10)
    assert responses.get("a", 1, now) is None  # the least recently used went first
    assert responses.get("c", 1, now).data == b"x" * 10
    assert responses.get("c", 1, now + timedelta(hours=1)).data == b"x" * 10  # no clock in it
    assert responses.get("c", 2, now) is None  # another version
    put("big", 1, b"x" * 40)  # counted three times (room for its gzip and template): too big
    assert responses.get("big", 1, now) is None
    body = cache.Body(b'{"kind":"PodList"}' * 10_000)
    assert gzip.decompress(body.gzipped()) == body.data and body.gzipped() is body.gzipped()


# --- the clock's cells: spliced into templates, byte for byte the printers' Table ---------------

T0 = "2026-01-01T00:00:00Z"


def objects_with_every_time_cell() -> dict[str, list[dict]]:
    """Objects of every kind whose rows hold every kind of clock-dependent cell (and some that
    look alike but are fixed: a finished Job's DURATION, a restart count without a finish time)."""
    meta = {"namespace": "default", "creationTimestamp": T0, "resourceVersion": "5"}

    def m(name, **more):
        return {**meta, "name": name, "uid": f"uid-{name}", **more}

    terminated = {"terminated": {"exitCode": 1, "finishedAt": "2026-01-01T00:07:00Z"}}
    return {
        "Pod": [
            {"kind": "Pod", "apiVersion": "v1", "metadata": m("restarted"),
             "spec": {"containers": [{"name": "c", "image": "i"}]},
             "status": {"phase": "Running", "containerStatuses": [
                 {"name": "c", "ready": True, "restartCount": 3, "state": {"running": {}},
                  "lastState": terminated}]}},
            {"kind": "Pod", "apiVersion": "v1", "metadata": m("plain"),
             "spec": {"containers": [{"name": "c", "image": "i"}]},
             "status": {"phase": "Pending", "containerStatuses": [{"name": "c", "restartCount": 2}]}},
            {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "unborn", "namespace": "default",
                                                             "resourceVersion": "6", "uid": "u"}},
            {"kind": "Pod", "apiVersion": "v1", "metadata": m("future", creationTimestamp="2026-01-02T00:00:00Z"),
             "spec": {"containers": []}},
        ],
        "Job": [
            {"kind": "Job", "apiVersion": "batch/v1", "metadata": m("running"),
             "spec": {"completions": 1}, "status": {"startTime": "2026-01-01T00:01:00Z", "active": 1}},
            {"kind": "Job", "apiVersion": "batch/v1", "metadata": m("done"),
             "spec": {"completions": 1}, "status": {"startTime": "2026-01-01T00:01:00Z",
                                                    "completionTime": "2026-01-01T00:03:30Z", "succeeded": 1}},
        ],
        "CronJob": [
            {"kind": "CronJob", "apiVersion": "batch/v1", "metadata": m("scheduled"),
             "spec": {"schedule": "*/5 * * * *"}, "status": {"lastScheduleTime": "2026-01-01T00:05:00Z"}},
            {"kind": "CronJob", "apiVersion": "batch/v1", "metadata": m("never"), "spec": {"schedule": "@daily"}},
        ],
        "Event": [
            {"kind": "Event", "apiVersion": "v1", "metadata": m("e1"), "type": "Normal", "reason": "Pulled",
             "involvedObject": {"kind": "Pod", "name": "restarted"}, "message": "ok \u00e9",
             "firstTimestamp": "2026-01-01T00:00:10Z", "lastTimestamp": "2026-01-01T00:04:00Z", "count": 4},
            {"kind": "Event", "apiVersion": "v1", "metadata": m("e2"), "type": "Warning", "reason": "Backoff",
             "involvedObject": {"kind": "Pod", "name": "plain"}, "eventTime": "2026-01-01T00:02:00Z",
             "series": {"count": 7, "lastObservedTime": "2026-01-01T00:06:00Z"}},
            {"kind": "Event", "apiVersion": "v1", "metadata": m("e3"), "type": "Normal", "reason": "X",
             "involvedObject": {"kind": "Node", "name": "n"}},
        ],
        "Node": [{"kind": "Node", "apiVersion": "v1", "metadata": {**m("n"), "namespace": ""}}],
        "Namespace": [{"kind": "Namespace", "apiVersion": "v1", "metadata": {**m("ns"), "namespace": ""}}],
    }


def printers_table_bytes(objs: list[dict], now, include: str, resource_version) -> bytes:
    """The Table as the shared printers build it from scratch, encoded as the API encodes JSON."""
    expected = printers.api_table(objs, now, include_object=include)
    expected["metadata"]["resourceVersion"] = str(resource_version)
    return cache.encode(expected)


@pytest.mark.parametrize("include", ["Metadata", "Object", "None"])
def test_a_table_template_at_any_time_is_the_printers_table_byte_for_byte(include):
    start = printers.parse_time(T0)
    times = [start - timedelta(hours=1), start, start + timedelta(minutes=9, seconds=59),
             start + timedelta(hours=5), start + timedelta(days=3, hours=2), start + timedelta(days=900)]
    for kind, objs in objects_with_every_time_cell().items():
        items = [Item(obj) for obj in objs]
        template = tables.table_template(kind, items, include=include, resource_version=11)
        for now in times:  # one template (printed once), finished at every time
            assert template.at(now) == printers_table_bytes(objs, now, include, 11), (kind, now)
            assert tables.table_json(kind, items, now, include=include, resource_version=11) == template.at(now)
    pods = objects_with_every_time_cell()["Pod"]
    cells = json.loads(tables.table_json("Pod", [Item(p) for p in pods], start + timedelta(minutes=10),
                                         include="None", resource_version=1))["rows"]
    assert [row["cells"][3:5] for row in cells] == [["3 (3m ago)", "10m"], ["2", "10m"], ["0", "<unknown>"],
                                                   ["0", "<invalid>"]]


def test_a_list_after_the_clock_moved_is_the_printers_list_from_scratch(cluster, monkeypatch):
    store.create_many(cluster, [pod(f"p{i}", app="x") for i in range(5)])
    first = pod_table(cluster)
    printed = []
    row_template = printers.row_template
    monkeypatch.setattr(printers, "row_template", lambda obj: printed.append(obj) or row_template(obj))
    clock = SimClock(cluster)
    for step in (timedelta(seconds=59), timedelta(minutes=2), timedelta(hours=7), timedelta(days=2)):
        clock.step(step)
        body = pod_table(cluster)
        assert pod_table(cluster) is body  # asked again at the same time: the same body
        assert gzip.decompress(body.gzipped()) == body.data
        with monkeypatch.context() as unpatched:  # the printers from scratch
            unpatched.setattr(printers, "row_template", row_template)
            snap = reads.snapshot(cluster, reads.selection(POD, None))
            expected = printers_table_bytes(snap.objects, store.now(cluster), "Metadata", snap.resource_version)
        assert body.data == expected
    assert printed == []  # no row printed again: only the clock's cells were formatted
    assert body is not first and ages(first) != ages(body)


def test_a_write_after_the_clock_moved_is_listed(cluster):
    pod_table(cluster)
    SimClock(cluster).step(timedelta(minutes=5))
    pod_table(cluster)
    relabel(cluster, "a", app="changed")  # a write bumps the version: the kept template is stale
    store.delete(cluster, "Pod", "default", "b")
    body = pod_table(cluster)
    snap = reads.snapshot(cluster, reads.selection(POD, None))
    assert [o["metadata"]["name"] for o in snap.objects] == ["a"]
    assert body.data == printers_table_bytes(snap.objects, store.now(cluster), "Metadata", snap.resource_version)
    assert json.loads(body.data)["rows"][0]["object"]["metadata"]["labels"] == {"app": "changed"}
    SimClock(cluster).step(timedelta(minutes=5))
    assert ages(pod_table(cluster)) == {"a": "10m"}
