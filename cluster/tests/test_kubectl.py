"""`manage.py kubectl`: kubectl's outputs and errors, and YAML that round-trips."""
from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
import yaml

from cluster import kubectl, store
from cluster.bootstrap import ensure_cluster, node_manifest
from cluster.models import DaemonSet, Node, Pod

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = kubectl.run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def cluster():
    cluster = ensure_cluster()
    store.create_many(cluster, [node_manifest("node-1"), node_manifest("node-2")])
    return cluster


def test_apply_create_and_apply_again(cluster):
    path = str(EXAMPLES / "my-first-daemonset.yaml")
    assert run("apply", "-f", path) == (0, "daemonset.apps/my-first-daemonset created\n", "")
    assert run("apply", "-f", path) == (0, "daemonset.apps/my-first-daemonset unchanged\n", "")
    assert run("create", "-f", path) == (
        1, "", 'Error from server (AlreadyExists): error when creating "' + path
        + '": daemonsets.apps "my-first-daemonset" already exists\n')


def test_apply_of_a_changed_image_configures(cluster, tmp_path):
    run("apply", "-f", str(EXAMPLES / "my-first-daemonset.yaml"))
    doc = yaml.safe_load((EXAMPLES / "my-first-daemonset.yaml").read_text())
    doc["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"
    changed = tmp_path / "ds.yaml"
    changed.write_text(yaml.safe_dump(doc))
    assert run("apply", "-f", str(changed)) == (0, "daemonset.apps/my-first-daemonset configured\n", "")
    ds = DaemonSet.objects.get()
    assert ds.spec["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert ds.generation == 2


def test_get_ds_columns_align_as_kubectl(cluster):
    run("apply", "-f", str(EXAMPLES / "my-first-daemonset.yaml"))
    code, out, _ = run("get", "ds")
    assert out.splitlines() == [
        "NAME                 DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR   AGE",
        "my-first-daemonset   0         0         0       0            0           <none>          0s",
    ]
    code, out, _ = run("get", "ds", "-o", "wide")
    assert out.splitlines()[0].split()[-3:] == ["CONTAINERS", "IMAGES", "SELECTOR"]
    assert out.splitlines()[1].split()[-3:] == ["my-first-container", "nginx:latest", "app=my-first-daemonset"]


def test_get_nodes_and_selectors(cluster):
    run("label", "node", "node-2", "disk=ssd")
    code, out, _ = run("get", "nodes", "-l", "disk=ssd")
    assert [line.split()[0] for line in out.splitlines()] == ["NAME", "node-2"]
    code, out, _ = run("get", "nodes", "-L", "disk")
    assert out.splitlines()[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "DISK"]
    assert out.splitlines()[2].split()[-1] == "ssd"


def test_yaml_output_round_trips_through_apply(cluster):
    run("apply", "-f", str(EXAMPLES / "my-first-daemonset.yaml"))
    code, out, _ = run("get", "ds", "my-first-daemonset", "-o", "yaml")
    obj = yaml.safe_load(out)
    assert obj == DaemonSet.objects.get().to_dict()
    assert obj["spec"]["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    stored = store.update(cluster, obj)
    assert stored["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]  # nothing changed


def test_not_found_and_unknown_resource(cluster):
    assert run("get", "pod", "x") == (1, "", 'Error from server (NotFound): pods "x" not found\n')
    assert run("get", "deployments") == (1, "", 'error: the server doesn\'t have a resource type "deployments"\n')
    assert run("get", "pods") == (0, "", "No resources found in default namespace.\n")


def test_an_invalid_manifest_is_rejected_with_the_field_path(cluster, tmp_path):
    doc = yaml.safe_load((EXAMPLES / "my-first-daemonset.yaml").read_text())
    doc["spec"]["template"]["metadata"]["labels"] = {"app": "y"}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc))
    code, out, err = run("apply", "-f", str(bad))
    assert code == 1 and out == ""
    assert err == (
        'The DaemonSet "my-first-daemonset" is invalid: spec.template.metadata.labels: Invalid value: '
        'map[string]string{"app":"y"}: `selector` does not match template `labels`\n'
    )
    assert not DaemonSet.objects.exists()


def test_label_taint_cordon_messages(cluster):
    assert run("label", "node", "node-1", "zone=a") == (0, "node/node-1 labeled\n", "")
    assert run("label", "node", "node-1", "zone=b") == (
        1, "", "error: 'zone' already has a value (a), and --overwrite is false\n")
    assert run("label", "node", "node-1", "zone=b", "--overwrite") == (0, "node/node-1 labeled\n", "")
    assert run("taint", "nodes", "node-1", "dedicated=gpu:NoSchedule") == (0, "node/node-1 tainted\n", "")
    assert Node.objects.get(name="node-1").spec["taints"] == [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]
    assert run("taint", "nodes", "node-1", "dedicated:NoSchedule-") == (0, "node/node-1 untainted\n", "")
    assert run("cordon", "node-1") == (0, "node/node-1 cordoned\n", "")
    assert run("cordon", "node-1") == (0, "node/node-1 already cordoned\n", "")
    code, out, _ = run("get", "node", "node-1")
    assert out.splitlines()[1].split()[1] == "Ready,SchedulingDisabled"
    assert run("uncordon", "node-1") == (0, "node/node-1 uncordoned\n", "")


def test_delete_and_describe(cluster):
    run("apply", "-f", str(EXAMPLES / "my-first-daemonset.yaml"))
    code, out, _ = run("describe", "ds", "my-first-daemonset")
    assert out.startswith("Name:           my-first-daemonset\n")
    assert "Desired Number of Nodes Scheduled: 0" in out
    assert run("delete", "ds", "my-first-daemonset") == (0, 'daemonset.apps "my-first-daemonset" deleted\n', "")
    assert not DaemonSet.objects.exists()


def test_other_clusters_are_separate(cluster):
    ensure_cluster("classroom-b")
    run("--cluster", "classroom-b", "apply", "-f", str(EXAMPLES / "my-first-daemonset.yaml"))
    assert run("get", "ds") == (0, "", "No resources found in default namespace.\n")
    code, out, _ = run("--cluster", "classroom-b", "get", "ds")
    assert "my-first-daemonset" in out
    assert run("--cluster", "nope", "get", "pods") == (1, "", 'error: no cluster named "nope"\n')


def test_apply_removes_what_the_manifest_stopped_listing(cluster, tmp_path):
    doc = yaml.safe_load((EXAMPLES / "my-first-daemonset.yaml").read_text())
    doc["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": "busybox:1.36"})
    path = tmp_path / "ds.yaml"
    path.write_text(yaml.safe_dump(doc))
    run("apply", "-f", str(path))
    doc["spec"]["template"]["spec"]["containers"].pop()
    path.write_text(yaml.safe_dump(doc))
    assert run("apply", "-f", str(path)) == (0, "daemonset.apps/my-first-daemonset configured\n", "")
    names = [c["name"] for c in DaemonSet.objects.get().spec["template"]["spec"]["containers"]]
    assert names == ["my-first-container"]


def test_taints_with_one_key_and_two_effects_are_kept_apart(cluster):
    run("taint", "nodes", "node-1", "k=v:NoSchedule")
    run("taint", "nodes", "node-1", "k=v:NoExecute")
    effects = sorted(t["effect"] for t in Node.objects.get(name="node-1").spec["taints"])
    assert effects == ["NoExecute", "NoSchedule"]
    run("taint", "nodes", "node-1", "k:NoExecute-")
    assert [t["effect"] for t in Node.objects.get(name="node-1").spec["taints"]] == ["NoSchedule"]


def test_the_commands_the_dashboard_shows_work_here_too(cluster, tmp_path):
    """`set image`, `patch` and `events --for`: the buttons' equivalent commands, pasted."""
    from controllers.engine import Engine

    run("apply", "-f", str(EXAMPLES / "my-first-daemonset.yaml"))
    Engine(cluster).run_until_idle()
    assert run("set", "image", "ds/my-first-daemonset", "my-first-container=nginx:1.27") == (
        0, "daemonset.apps/my-first-daemonset image updated\n", "")
    assert DaemonSet.objects.get().spec["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert run("set", "image", "ds/my-first-daemonset", "my-first-container=nginx:1.27") == (0, "", "")   # unchanged
    assert run("set", "image", "ds/my-first-daemonset", "nope=nginx") == (
        1, "", 'error: unable to find container named "nope"\n')
    selector = '{"spec":{"template":{"spec":{"nodeSelector":{"disk":"ssd"}}}}}'
    assert run("patch", "ds", "my-first-daemonset", "-p", selector) == (0, "daemonset.apps/my-first-daemonset patched\n", "")
    assert run("patch", "ds", "my-first-daemonset", "-p", selector) == (
        0, "daemonset.apps/my-first-daemonset patched (no change)\n", "")
    assert DaemonSet.objects.get().spec["template"]["spec"]["nodeSelector"] == {"disk": "ssd"}
    code, out, err = run("patch", "ds", "my-first-daemonset", "--type=merge", "-p", '{"spec":{"minReadySeconds":"x"}}')
    assert (code, err) == (1, 'Error from server (BadRequest): DaemonSet in version "v1" cannot be handled as a DaemonSet: '
                              'json: cannot unmarshal string into Go struct field DaemonSetSpec.spec.minReadySeconds '
                              'of type int32\n')
    code, out, err = run("events", "--for", "ds/my-first-daemonset")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert len(lines) == 3        # one pod created on each of the two nodes, nothing about other objects
    assert all("SuccessfulCreate   DaemonSet/my-first-daemonset   Created pod: my-first-daemonset-" in line
               for line in lines[1:])
    assert run("events", "--for", "job/nope") == (0, "", "No events found in default namespace.\n")


def test_removing_a_taint_that_is_not_there_says_so_as_kubectl(cluster):
    assert run("taint", "nodes", "node-2", "foo-") == (1, "", 'error: taint "foo" not found\n')


def test_durations_are_taken_as_kubectl_takes_them():
    assert [kubectl.go_duration(t) for t in ("2s", "1m30s", "1.5h", "250ms", "0", "7")] == [2, 90, 5400, 0.25, 0, 7]
    with pytest.raises(Exception):
        kubectl.go_duration("2 minutes")


def test_describe_pod_lays_out_its_header_as_kubectl_does(cluster):
    """One aligned block up to `IPs:` (the widest label, `Service Account:`, plus 2), then the
    pod IPs and `Controlled By` as a block of their own; the admission plugins' priority 0 and
    `default` service account are shown; the node with its IP."""
    from controllers.engine import Engine

    run("apply", "-f", str(EXAMPLES / "my-first-daemonset.yaml"))
    Engine(cluster).run_until_idle()
    pod = Pod.objects.filter(node_name="node-1").get()
    out = run("describe", "pod", pod.name)[1].split("\n")
    head = out[:out.index("Containers:")]
    node_ip = [a["address"] for a in Node.objects.get(name="node-1").status["addresses"] if a["type"] == "InternalIP"][0]
    ip = pod.status["podIP"]
    assert head[0] == f"Name:             {pod.name}"
    assert head[1:5] == ["Namespace:        default", "Priority:         0", "Service Account:  default",
                         f"Node:             node-1/{node_ip}"]
    assert head[5].startswith("Start Time:       ") and head[6] == "Labels:           app=my-first-daemonset"
    assert head[-6:] == ["Annotations:      <none>", "Status:           Running", f"IP:               {ip}",
                         "IPs:", f"  IP:           {ip}", "Controlled By:  DaemonSet/my-first-daemonset"]
