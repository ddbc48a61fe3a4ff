"""Live updates: the after-commit subscriber names regions; the consumer sends a snapshot on
connect, then frames of re-rendered partials (OOB swaps by stable id) after each commit."""
import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.db import connections

from cluster.bootstrap import ensure_cluster, load_demo, node_manifest
from cluster.store import Touched
from dashboard import live
from dashboard.routing import websocket_urlpatterns


def test_touched_pods_and_nodes_map_to_their_regions():
    keys = live.keys_for([
        Touched("MODIFIED", "Pod", "default", "ds-abcde", "u1", "DaemonSet", "ds", "node-2"),
        Touched("ADDED", "Node", "", "node-4", "u2"),
        Touched("ADDED", "Event", "default", "hello-world.18a2b", "u3"),
    ])
    assert {"pod:default/ds-abcde@node-2", "owner:DaemonSet/default/ds", "node:node-4", "nodes", "events",
            "event:default/hello-world", "explain", "counts"} <= keys
    assert "node:n1" in live.keys_for([Touched("ADDED", "Pod", "default", "p", "u", node_name="n1")])


def test_the_frame_budget_keeps_pace_with_steps_a_little_early_without_delaying_them():
    """Steps every 100 ms give or take a few: each frame goes at once. A fixed 100 ms gap after
    each frame would make a step that came 5 ms early wait 5 ms, and carry that over."""
    from dashboard.consumers import FrameBudget

    budget = FrameBudget(interval=0.1, burst=2)
    t = 1000.0
    for i in range(100):
        t += 0.095 if i % 2 else 0.105
        assert budget.wait(t) == 0.0
        budget.spend(t)


def test_the_frame_budget_caps_frames_at_about_ten_a_second():
    from dashboard.consumers import FrameBudget

    budget = FrameBudget(interval=0.1, burst=2)
    t, sent = 1000.0, []
    while t < 1010.0:                  # a sender that sends whenever it may, for 10 s
        t += budget.wait(t)
        budget.spend(t)
        sent.append(t)
        t += 0.001                     # it asks again right away (1 ms for the render)
    assert len(sent) <= 2 + 100
    assert all(b - a >= 0.1 - 1e-9 for a, b in zip(sent[2:], sent[3:]))   # after the burst: 10 a second
    assert budget.wait(1030.0) == 0.0                                     # after a quiet spell: at once


def test_announcing_without_a_connected_page_sends_nothing():
    live.send(1, {"nodes"})  # no loop registered in this process: a no-op, never an error




CLUSTER = "live-test"


@pytest.fixture
def in_thread(django_db_setup, django_db_blocker):
    """Run an async test body on its own loop in another thread, against the test database in
    autocommit (its rows are deleted afterwards). In a full run Playwright's session loop may be
    current in the test thread, where neither a loop nor the ORM may run."""
    def run(coro_fn):
        async def body():
            try:
                await coro_fn()
            finally:
                await get_channel_layer().flush()

        def target():
            with django_db_blocker.unblock():
                try:
                    asyncio.run(body())
                finally:
                    from cluster.models import Cluster

                    Cluster.objects.filter(name=CLUSTER).delete()
                    connections.close_all()

        with ThreadPoolExecutor(1) as pool:
            pool.submit(target).result(timeout=60)
    return run


def test_the_socket_sends_a_snapshot_then_a_frame_after_a_commit(in_thread):
    from cluster import store

    async def scenario():
        cluster = await sync_to_async(ensure_cluster)(CLUSTER)
        await sync_to_async(load_demo)(cluster)
        comm = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/c/{CLUSTER}/")
        connected, _ = await comm.connect(timeout=5)
        assert connected
        snapshot = await comm.receive_from(timeout=5)
        assert 'id="nodes" hx-swap-oob="true"' in snapshot and 'id="clock" hx-swap-oob="true"' in snapshot
        assert 'id="node-node-1"' in snapshot
        await sync_to_async(store.create)(cluster, node_manifest("node-7"))
        frame = ""
        while 'id="node-node-7"' not in frame:
            frame = await comm.receive_from(timeout=5)
        assert 'hx-swap-oob="true"' in frame
        await comm.disconnect()

    in_thread(scenario)


def test_an_unknown_page_is_refused(in_thread):
    async def scenario():
        await sync_to_async(ensure_cluster)(CLUSTER)
        comm = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/c/{CLUSTER}/nowhere/")
        connected, _ = await comm.connect(timeout=5)
        assert not connected
        await comm.disconnect()

    in_thread(scenario)


@pytest.mark.django_db
def test_a_status_change_re_renders_the_chip_and_a_new_pod_the_card():
    from cluster import store
    from cluster.models import Pod
    from dashboard.pages import ClusterPage
    from dashboard.presenters import Viewer

    cluster = ensure_cluster()
    load_demo(cluster)
    store.create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "default"},
                           "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "nginx"}]}})
    page = ClusterPage(cluster, {}, {}, Viewer(False, False, ""))
    page.frame({"*"})
    row = Pod.objects.get(cluster=cluster, name="web")
    pending = row.to_dict()["status"]
    store.update_many(cluster, [(row, {"status": {**pending, "message": "still pulling"}})], subresource="status")
    cluster.refresh_from_db()
    frame = page.frame({"pod:default/web@node-1"})
    # only the status changed: the chip alone, carrying the resourceVersion it was read at
    assert frame.count('hx-swap-oob="true"') == 1
    assert f'id="pod-default-web" hx-swap-oob="true" data-rv="{cluster.resource_version}"' in frame
    assert 'data-st="Pending"' in frame and "Pending</span></a>" in frame

    row.refresh_from_db()
    store.update_many(cluster, [(row, {"status": {"phase": "Succeeded", "containerStatuses": [
        {"name": "c", "ready": False, "restartCount": 0, "image": "nginx",
         "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}})], subresource="status")
    frame = page.frame({"pod:default/web@node-1"})
    # the phase changed: the chip, the node's pod count and the counts above the grid
    assert 'id="pod-default-web" hx-swap-oob="true"' in frame and "is-succeeded" in frame
    assert 'id="cap-node-node-1" hx-swap-oob="true"' in frame and 'id="counts" hx-swap-oob="true"' in frame

    store.delete(cluster, "Pod", "default", "web", grace_period_seconds=0)
    store.create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api", "namespace": "default"},
                           "spec": {"nodeName": "node-2", "containers": [{"name": "c", "image": "nginx"}]}})
    frame = page.frame({"pod:default/api@node-2"})   # not on the page yet: the whole card comes
    assert 'id="node-node-2" hx-swap-oob="true"' in frame


def test_a_pod_status_change_names_only_the_pod_and_an_added_pod_the_summaries():
    status_only = live.keys_for([Touched("MODIFIED", "Pod", "default", "web", "u1", node_name="node-1")])
    assert "pod:default/web@node-1" in status_only
    assert not status_only & {"counts", "tray", "owners", "node:node-1"}
    added = live.keys_for([Touched("ADDED", "Pod", "default", "web", "u1", node_name="node-1")])
    assert {"counts", "tray", "node:node-1"} <= added
    pending = live.keys_for([Touched("MODIFIED", "Pod", "default", "web", "u1")])
    assert {"counts", "tray"} <= pending


@pytest.mark.django_db
def test_a_summary_region_is_not_re_sent_while_it_shows_the_same():
    from dashboard.pages import ClusterPage
    from dashboard.presenters import Viewer

    cluster = ensure_cluster()
    load_demo(cluster)
    page = ClusterPage(cluster, {}, {}, Viewer(False, False, ""))
    page.frame({"*"})
    first = page.frame({"counts"})
    assert 'id="counts" hx-swap-oob="true"' in first     # after a snapshot (one client) it is sent again
    assert page.frame({"counts"}) == ""                   # every client has it
    from cluster import store

    store.create(cluster, node_manifest("node-9"))
    assert 'id="counts" hx-swap-oob="true"' in page.frame({"counts"})


def test_a_page_that_is_current_gets_no_snapshot_and_a_stale_one_does(in_thread):
    from cluster import store
    from dashboard.pages import ClusterPage
    from dashboard.presenters import Viewer

    async def scenario():
        cluster = await sync_to_async(ensure_cluster)(CLUSTER)
        await sync_to_async(load_demo)(cluster)
        version = await sync_to_async(ClusterPage(cluster, {}, {}, Viewer(False, False, "")).version)()
        current = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/c/{CLUSTER}/?v={version}")
        assert (await current.connect(timeout=5))[0]
        first = await current.receive_from(timeout=5)
        assert 'id="live"' in first and 'id="nodes"' not in first      # the watcher count, no snapshot
        await sync_to_async(store.create)(cluster, node_manifest("node-7"))
        frame = ""
        while 'id="node-node-7"' not in frame:
            frame = await current.receive_from(timeout=5)
        stale = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/c/{CLUSTER}/?v={version}")
        assert (await stale.connect(timeout=5))[0]
        snapshot = ""
        while 'id="nodes"' not in snapshot:
            snapshot = await stale.receive_from(timeout=5)
        assert 'id="node-node-7"' in snapshot
        await current.disconnect()
        await stale.disconnect()

    in_thread(scenario)


def test_sockets_asking_for_a_snapshot_together_share_one_render(in_thread):
    from dashboard import consumers
    from dashboard.pages import ClusterPage
    from dashboard.presenters import Viewer

    class Socket:
        def __init__(self):
            self.sent = []

        async def safe_send(self, text):
            self.sent.append(text)

    async def scenario():
        cluster = await sync_to_async(ensure_cluster)(CLUSTER)
        await sync_to_async(load_demo)(cluster)
        hub = consumers.Hub(("test",), lambda: ClusterPage(cluster, {}, {}, Viewer(False, False, "")), CLUSTER)
        hub.cluster_id = cluster.pk
        renders = []
        real = hub._render
        hub._render = lambda keys: renders.append(set(keys)) or real(keys)
        sockets = [Socket() for _ in range(3)]
        hub.consumers.update(sockets)
        await asyncio.gather(*(hub.snapshot_for(s) for s in sockets))
        assert renders == [{"*"}]
        assert all(len(s.sent) == 1 and 'id="nodes" hx-swap-oob="true"' in s.sent[0] for s in sockets)
        assert sockets[0].sent == sockets[1].sent == sockets[2].sent

    in_thread(scenario)


@pytest.mark.django_db
def test_adding_or_removing_a_node_re_sends_the_why_picker_and_the_add_node_hint():
    from cluster import store
    from controllers import chaos
    from dashboard.pages import ClusterPage
    from dashboard.presenters import Viewer

    cluster = ensure_cluster()
    load_demo(cluster)
    chaos.add_node(cluster, "node-4")
    teacher = ClusterPage(cluster, {}, {}, Viewer(True, True, "teacher"))
    watcher = ClusterPage(cluster, {}, {}, Viewer(False, False, ""))
    snapshot = teacher.frame({"*"})
    assert '<select id="why-node" name="node" hx-swap-oob="true">' in snapshot and "<option>node-4</option>" in snapshot
    assert '<code class="cmd" id="add-node-cmd" hx-swap-oob="true">kubectl apply -f node-5.yaml</code>' in snapshot
    watcher.frame({"*"})

    store.create(cluster, node_manifest("node-ssd"))
    keys = live.keys_for([Touched("ADDED", "Node", "", "node-ssd", "u")])
    frame = teacher.frame(keys)
    picker = frame[frame.index('<select id="why-node"'):]
    picker = picker[:picker.index("</select>")]
    assert 'hx-swap-oob="true"' in picker and "<option>node-ssd</option>" in picker
    assert "kubectl apply -f node-5.yaml" in frame
    watched = watcher.frame(keys)
    assert "<option>node-ssd</option>" in watched and 'id="add-node-cmd"' not in watched   # no buttons, no hint

    chaos.remove_node(cluster, "node-4")
    keys = live.keys_for([Touched("DELETED", "Node", "", "node-4", "u")])
    frame = teacher.frame(keys)
    picker = frame[frame.index('<select id="why-node"'):]
    picker = picker[:picker.index("</select>")]
    assert "<option>node-4</option>" not in picker and "<option>node-ssd</option>" in picker
    assert '<code class="cmd" id="add-node-cmd" hx-swap-oob="true">kubectl apply -f node-4.yaml</code>' in frame

    # a node's status change leaves them alone, and an unchanged picker is not re-sent
    assert 'id="why-node"' not in teacher.frame(live.keys_for([Touched("MODIFIED", "Node", "", "node-1", "u")]))
    assert 'id="why-node"' not in teacher.frame(keys)


@pytest.mark.django_db
def test_a_new_workload_joins_the_owner_and_namespace_filter_lists_live():
    from cluster import store
    from dashboard.pages import ClusterPage
    from dashboard.presenters import Viewer

    cluster = ensure_cluster()
    load_demo(cluster)
    page = ClusterPage(cluster, {}, {}, Viewer(False, False, ""))
    snapshot = page.frame({"*"})
    assert 'id="filter-more" hx-swap-oob="true"' in snapshot and "ds agent" not in snapshot
    store.create(cluster, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ops"}})
    touched = [Touched("ADDED", "DaemonSet", "ops", "agent", "u")]
    store.create(cluster, {
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": "ops"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
                 "template": {"metadata": {"labels": {"app": "agent"}},
                              "spec": {"containers": [{"name": "agent", "image": "busybox"}]}}}})
    frame = page.frame(live.keys_for(touched))
    lists = frame[frame.index('<div class="filter-more" id="filter-more"'):]
    lists = lists[:lists.index("</div>")]
    assert '<option value="DaemonSet/agent">ds agent</option>' in lists and "<option>ops</option>" in lists
    assert 'id="filter-more"' not in page.frame(live.keys_for(touched))     # unchanged: not re-sent
