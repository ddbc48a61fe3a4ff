"""Everything the simulation stores is what a real API server could store: `kubectl get -o yaml`
then `kubectl replace -f` (strict decoding, kubectl's default) must work for every object."""
from datetime import timedelta
from pathlib import Path

import pytest

from cluster import manifests, store
from cluster.manifests.schema import unknown_fields
from cluster.models import MODELS
from controllers.tests.conftest import add_nodes

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CRONJOB = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "tick"},
           "spec": {"schedule": "*/1 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
               "restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "busybox", "command": ["date"]}]}}}}}}
INDEXED = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "indexed"},
           "spec": {"completions": 3, "parallelism": 2, "completionMode": "Indexed", "backoffLimitPerIndex": 1,
                    "template": {"spec": {"restartPolicy": "Never",
                                          "containers": [{"name": "c", "image": "busybox", "command": ["true"]}]}}}}


@pytest.mark.django_db
def test_every_stored_object_decodes_strictly(cluster, engine):
    add_nodes(cluster, "node-1", "node-2")
    for name in ("my-first-daemonset.yaml", "hello-world-job.yaml", "hello-world-failing-job.yaml"):
        for doc in manifests.parse_documents((EXAMPLES / name).read_text()):
            if name.startswith("hello-world-failing"):
                doc["metadata"]["name"] = "hello-world-failing"
            store.create(cluster, doc)
    store.create(cluster, CRONJOB)
    store.create(cluster, INDEXED)
    engine.advance(timedelta(minutes=1))
    ds = store.get(cluster, "DaemonSet", "default", "my-first-daemonset").to_dict()
    ds["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"     # a rolling update
    store.update(cluster, ds)
    engine.advance(timedelta(minutes=4))
    checked = 0
    for model in MODELS.values():
        for row in model.objects.filter(cluster=cluster):
            obj = row.to_dict()
            assert unknown_fields(obj) == [], (obj["kind"], obj["metadata"]["name"])
            checked += 1
    kinds = {m.kind for m in MODELS.values() if m.objects.filter(cluster=cluster).exists()}
    assert {"Pod", "Node", "DaemonSet", "ControllerRevision", "Job", "CronJob", "Event", "Namespace"} <= kinds
    assert checked > 50
