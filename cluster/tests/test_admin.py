"""The admin: kubectl-like lists, and every save and action going through the store."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from django.urls import reverse

from cluster import store
from cluster.bootstrap import ensure_cluster, node_manifest
from cluster.models import Change, DaemonSet, Node, Pod

pytestmark = pytest.mark.django_db

SEED = yaml.safe_load((Path(__file__).resolve().parents[2] / "examples" / "my-first-daemonset.yaml").read_text())


@pytest.fixture
def cluster():
    cluster = ensure_cluster()
    store.create_many(cluster, [node_manifest("node-1"), node_manifest("node-2")])
    store.create(cluster, copy.deepcopy(SEED))
    return cluster


@pytest.mark.parametrize("model", ["node", "pod", "daemonset", "job", "cronjob", "namespace", "controllerrevision",
                                   "event", "cluster", "change"])
def test_every_changelist_renders(admin_client, cluster, model):
    response = admin_client.get(reverse(f"admin:cluster_{model}_changelist"))
    assert response.status_code == 200


def test_node_list_shows_kubectl_columns(admin_client, cluster):
    html = admin_client.get(reverse("admin:cluster_node_changelist")).content.decode()
    assert "Ready" in html and "v1.32.0" in html


def test_saving_a_spec_goes_through_the_store(admin_client, cluster):
    ds = DaemonSet.objects.get()
    spec = copy.deepcopy(ds.spec)
    spec["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"
    before = Change.objects.count()
    response = admin_client.post(reverse("admin:cluster_daemonset_change", args=[ds.pk]),
                                 {"labels": "", "spec": yaml.safe_dump(spec)})
    assert response.status_code == 302
    ds.refresh_from_db()
    assert ds.generation == 2 and ds.spec["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert Change.objects.count() == before + 1


def test_an_invalid_spec_is_refused_with_kubernetes_message(admin_client, cluster):
    ds = DaemonSet.objects.get()
    spec = copy.deepcopy(ds.spec)
    spec["selector"] = {"matchLabels": {"app": "other"}}
    response = admin_client.post(reverse("admin:cluster_daemonset_change", args=[ds.pk]),
                                 {"labels": "", "spec": yaml.safe_dump(spec)}, follow=True)
    html = response.content.decode()
    assert "spec.selector: Invalid value" in html and "field is immutable" in html
    assert "was changed successfully" not in html
    ds.refresh_from_db()
    assert ds.spec["selector"] == SEED["spec"]["selector"]


def test_a_save_from_a_form_filled_before_someone_else_changed_the_object_is_a_conflict(admin_client, cluster):
    """The form carries the resourceVersion it was filled from, as `kubectl edit` does: a change
    made meanwhile is refused with the API server's 409, never silently overwritten."""
    ds = DaemonSet.objects.get()
    form = admin_client.get(reverse("admin:cluster_daemonset_change", args=[ds.pk])).content.decode()
    assert f'name="observed_resource_version" value="{ds.resource_version}"' in form
    fresh = ds.to_dict()                                   # meanwhile: kubectl set image
    fresh["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.29"
    store.update(cluster, fresh)
    response = admin_client.post(reverse("admin:cluster_daemonset_change", args=[ds.pk]),
                                 {"labels": "team: blue", "spec": yaml.safe_dump(ds.spec),
                                  "observed_resource_version": str(ds.resource_version)}, follow=True)
    html = response.content.decode()
    assert ('Operation cannot be fulfilled on daemonsets.apps &quot;my-first-daemonset&quot;: the object has been '
            'modified; please apply your changes to the latest version and try again') in html
    assert "was changed successfully" not in html
    ds.refresh_from_db()
    assert ds.spec["template"]["spec"]["containers"][0]["image"] == "nginx:1.29" and not ds.labels


def test_cordon_and_delete_actions(admin_client, cluster):
    node = Node.objects.get(name="node-1")
    done = admin_client.post(reverse("admin:cluster_node_changelist"), {"action": "cordon", "_selected_action": [node.pk]},
                             follow=True).content.decode()
    node.refresh_from_db()
    assert node.unschedulable and "node/node-1 cordoned" in done
    again = admin_client.post(reverse("admin:cluster_node_changelist"), {"action": "cordon", "_selected_action": [node.pk]},
                              follow=True).content.decode()
    assert "node/node-1 already cordoned" in again      # kubectl's words
    admin_client.post(reverse("admin:cluster_node_changelist"),
                      {"action": "delete_through_store", "_selected_action": [node.pk]})
    assert not Node.objects.filter(name="node-1").exists()


def test_the_owner_filter_lists_each_owner_once(admin_client, cluster):
    from controllers.engine import Engine

    Engine(cluster).run_until_idle()
    html = admin_client.get(reverse("admin:cluster_pod_changelist")).content.decode()
    assert html.count("?owner=DaemonSet%2Fmy-first-daemonset") == 1


def test_deleting_a_pod_from_the_admin_is_graceful(admin_client, cluster):
    pod = store.create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
                                 "spec": {"nodeName": "node-2", "containers": [{"name": "c", "image": "nginx"}]}})
    row = Pod.objects.get(name=pod["metadata"]["name"])
    admin_client.post(reverse("admin:cluster_pod_changelist"),
                      {"action": "delete_through_store", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert row.deletion_timestamp is not None  # Terminating: the kubelet finishes it
