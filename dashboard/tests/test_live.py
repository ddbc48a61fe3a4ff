"""Live updates: the after-commit subscriber names regions; the consumer sends a snapshot on
connect, then frames of re-rendered partials (OOB swaps by stable id) after each commit."""
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
    assert {"node:node-2", "owner:DaemonSet/default/ds", "node:node-4", "nodes", "events",
            "event:default/hello-world", "explain", "counts"} <= keys
    assert "tray" not in live.keys_for([Touched("MODIFIED", "Pod", "default", "p", "u", node_name="n1")])


def test_announcing_without_a_connected_page_sends_nothing():
    live.send(1, {"nodes"})  # no loop registered in this process: a no-op, never an error




@pytest.fixture
async def cleanup():
    yield
    await sync_to_async(connections.close_all)()
    await get_channel_layer().flush()


@pytest.mark.django_db(transaction=True)
async def test_the_socket_sends_a_snapshot_then_a_frame_after_a_commit(cleanup):
    from cluster import store

    cluster = await sync_to_async(ensure_cluster)()
    await sync_to_async(load_demo)(cluster)
    comm = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/c/default/")
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


@pytest.mark.django_db(transaction=True)
async def test_an_unknown_page_is_refused(cleanup):
    await sync_to_async(ensure_cluster)()
    comm = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/c/default/nowhere/")
    connected, _ = await comm.connect(timeout=5)
    assert not connected or (await comm.receive_output(timeout=5))["type"] == "websocket.close"
    await comm.disconnect()
