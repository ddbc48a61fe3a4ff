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
    frame = page.frame({"pod:default/web@node-1"})
    assert frame.count('hx-swap-oob="true"') == 2      # the chip and the node's pod count
    assert 'id="pod-default-web" hx-swap-oob="true"' in frame and 'id="cap-node-node-1"' in frame
    row = Pod.objects.get(cluster=cluster, name="web")
    store.delete(cluster, "Pod", "default", "web", grace_period_seconds=0)
    store.create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api", "namespace": "default"},
                           "spec": {"nodeName": "node-2", "containers": [{"name": "c", "image": "nginx"}]}})
    frame = page.frame({"pod:default/api@node-2"})   # not on the page yet: the whole card comes
    assert 'id="node-node-2" hx-swap-oob="true"' in frame and row.name == "web"
