"""The dense grid (more than DENSE_NODES nodes): one tile per node, one square per pod, built
without the template engine and cached per node. What it draws must not depend on the cache."""
import re

import pytest
from django.test import Client

from cluster import store
from cluster.bootstrap import ensure_cluster, node_manifest
from cluster.models import Pod
from controllers import simulation
from dashboard import presenters as p

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}
NODES = p.DENSE_NODES + 12


def pod(name: str, node: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default", "labels": {"app": name[:3]}},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}]}}


def set_status(cluster, name: str, status: dict) -> None:
    row = Pod.objects.get(cluster=cluster, name=name)
    store.update_many(cluster, [(row, {"status": status})], subresource="status")


@pytest.fixture
def big():
    cluster = ensure_cluster()
    simulation.pause(cluster)
    store.create_many(cluster, [node_manifest(f"n-{i:03d}") for i in range(NODES)])
    store.create_many(cluster, [pod(f"web-{i:03d}", f"n-{i % NODES:03d}") for i in range(NODES * 2)])
    now = store.format_time(store.now(cluster))
    set_status(cluster, "web-000", {"phase": "Running", "startTime": now, "containerStatuses": [
        {"name": "c", "ready": True, "restartCount": 0, "image": "busybox", "state": {"running": {"startedAt": now}}}]})
    set_status(cluster, "web-001", {"phase": "Failed", "containerStatuses": [
        {"name": "c", "ready": False, "restartCount": 0, "image": "busybox",
         "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]})
    return cluster


TILE = re.compile(r'<a class="tile[^"]*" id="node-([^"]+)".*?</span></a>')


def tiles(html: str) -> dict[str, str]:
    """node name -> its tile's markup, in page order."""
    return {m.group(1): m.group(0) for m in TILE.finditer(html)}


def test_every_pod_is_a_square_on_its_node_and_phases_differ_without_colour(big):
    html = Client().get("/c/default/").content.decode()
    grid = tiles(html)
    assert len(grid) == NODES
    for i in range(NODES * 2):
        name = f"web-{i:03d}"
        assert f'id="pod-default-{name}"' in grid[f"n-{i % NODES:03d}"], name
    # kubectl's STATUS word in the title and a phase class (a shape in the stylesheet) per square
    assert re.search(r'<i class="pq is-running" id="pod-default-web-000" title="web-000 · Running">', html)
    assert re.search(r'<i class="pq is-failed" id="pod-default-web-001" title="web-001 · Error">', html)
    assert re.search(r'<i class="pq is-pending" id="pod-default-web-002" title="web-002 · Pending">', html)


def test_tiles_come_a_page_at_a_time_in_name_order(big, monkeypatch):
    monkeypatch.setattr(p, "DENSE_PAGE", 25)
    client = Client()
    html = client.get("/c/default/").content.decode()
    first = list(tiles(html))
    assert first == [f"n-{i:03d}" for i in range(25)]
    more = re.search(r'class="tiles-more" href="([^"]+)" hx-get="[^"]+" hx-trigger="intersect once"', html).group(1)
    page2 = client.get("/c/default/" + more.replace("&amp;", "&"), headers=HX).content.decode()
    assert list(tiles(page2)) == [f"n-{i:03d}" for i in range(25, 50)]
    assert "<html" not in page2


def test_a_cached_tile_changes_with_its_pods_and_matches_a_fresh_render(big):
    client = Client()
    client.get("/c/default/")                                   # fills the cache
    set_status(big, "web-002", {"phase": "Failed", "containerStatuses": [
        {"name": "c", "ready": False, "restartCount": 0, "image": "busybox",
         "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]})
    store.delete(big, "Pod", "default", "web-003", grace_period_seconds=0)
    cached = client.get("/c/default/").content.decode()
    tile2, tile3 = tiles(cached)["n-002"], tiles(cached)["n-003"]
    assert 'class="pq is-failed" id="pod-default-web-002" title="web-002 · OOMKilled"' in tile2
    assert "pod-default-web-003" not in tile3 and f"pod-default-web-{3 + NODES:03d}" in tile3
    p.TILES.entries.clear()
    fresh = client.get("/c/default/").content.decode()
    assert tiles(fresh) == tiles(cached)


def test_a_frame_re_sends_the_tile_of_a_changed_pod_with_its_resource_version(big):
    from dashboard.pages import ClusterPage

    page = ClusterPage(big, {}, {}, p.Viewer(False, False, ""))
    page.frame({"*"})
    set_status(big, "web-004", {"phase": "Succeeded", "containerStatuses": [
        {"name": "c", "ready": False, "restartCount": 0, "image": "busybox",
         "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]})
    big.refresh_from_db()
    frame = page.frame({"pod:default/web-004@n-004"})
    assert f'id="node-n-004" hx-swap-oob="true" data-rv="{big.resource_version}"' in frame
    assert 'id="pod-default-web-004" title="web-004 · Completed"' in frame
    assert 'id="node-n-005"' not in frame
