"""Nodes with the real kubectl: a DaemonSet pod appears on a new node before `get pods -w`'s eyes;
label, taint, cordon and drain act on the simulated nodes."""
from __future__ import annotations

import re

import pytest

from k8sapi.tests.conftest import EXAMPLES

BARE_POD = """apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  nodeName: {node}
  containers:
  - name: sleeper
    image: busybox:1.36
    command: ["sleep", "3600"]
"""


@pytest.fixture(scope="module")
def daemonset(kubectl):
    kubectl("apply", "-f", str(EXAMPLES / "my-first-daemonset.yaml"))
    kubectl("rollout", "status", "ds/my-first-daemonset", "--timeout=60s")
    return kubectl


def test_get_pods_watch_sees_the_pod_of_a_new_node(daemonset):
    kubectl = daemonset
    watch = kubectl.start("get", "pods", "-w")
    try:
        assert watch.wait_for(lambda line: line.startswith("NAME")).split() == ["NAME", "READY", "STATUS",
                                                                               "RESTARTS", "AGE"]
        for _ in range(3):
            watch.wait_for(lambda line: "Running" in line)
        kubectl("create", "-f", "-", input="apiVersion: v1\nkind: Node\nmetadata:\n  name: node-4\n")
        first = watch.wait_for(lambda line: line.startswith("my-first-daemonset-"))
        assert re.fullmatch(r"my-first-daemonset-[a-z0-9]{5}   0/1     (Pending|ContainerCreating)   0          0s",
                            first)
        name = first.split()[0]
        running = watch.wait_for(lambda line: line.startswith(name) and "Running" in line)
        assert re.fullmatch(rf"{name}   1/1     Running\s+0\s+\d+s", running)
    finally:
        watch.stop()
    on_node = kubectl("get", "pods", "--field-selector", "spec.nodeName=node-4", "-o", "name").stdout
    assert on_node == f"pod/{name}\n"


def test_label_taint_cordon(daemonset):
    kubectl = daemonset
    assert kubectl("label", "node", "node-1", "disktype=ssd").stdout == "node/node-1 labeled\n"
    assert kubectl("get", "nodes", "-l", "disktype=ssd", "-o", "name").stdout == "node/node-1\n"
    assert kubectl("label", "node", "node-1", "disktype-").stdout == "node/node-1 unlabeled\n"
    assert kubectl("taint", "node", "node-2", "dedicated=gpu:NoSchedule").stdout == "node/node-2 tainted\n"
    taints = kubectl("get", "node", "node-2", "-o", "jsonpath={.spec.taints}").stdout
    assert '"key":"dedicated"' in taints and '"effect":"NoSchedule"' in taints
    assert kubectl("taint", "node", "node-2", "dedicated:NoSchedule-").stdout == "node/node-2 untainted\n"
    assert kubectl("cordon", "node-3").stdout == "node/node-3 cordoned\n"
    nodes = kubectl("get", "nodes").stdout
    assert re.search(r"^node-3   Ready,SchedulingDisabled   <none>   \S+\s+v1.32.0$", nodes, re.M)
    assert kubectl("uncordon", "node-3").stdout == "node/node-3 uncordoned\n"


def test_drain_evicts_and_leaves_daemonset_pods(daemonset):
    kubectl = daemonset
    kubectl("apply", "-f", "-", input=BARE_POD.format(name="sleeper", node="node-2"))
    kubectl("wait", "--for=condition=Ready", "pod/sleeper", "--timeout=60s")
    ds_pod = kubectl("get", "pods", "-l", "app=my-first-daemonset", "--field-selector", "spec.nodeName=node-2",
                     "-o", "jsonpath={.items[0].metadata.name}").stdout

    refused = kubectl("drain", "node-2", check=False)
    assert refused.returncode == 1
    assert "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)" in refused.stderr

    drained = kubectl("drain", "node-2", "--ignore-daemonsets", "--force")
    assert drained.stdout.splitlines() == ["node/node-2 already cordoned", "evicting pod default/sleeper",
                                           "pod/sleeper evicted", "node/node-2 drained"]
    warning = drained.stderr.removeprefix("Warning: ").rstrip("\n").split("; ")  # kubectl's order varies
    assert sorted(warning) == ["deleting Pods that declare no controller: default/sleeper",
                               f"ignoring DaemonSet-managed Pods: default/{ds_pod}"]
    assert kubectl("get", "pod", "sleeper", check=False).stderr == 'Error from server (NotFound): pods "sleeper" not found\n'
    assert kubectl("get", "pod", ds_pod, "-o", "name").stdout == f"pod/{ds_pod}\n"
    assert "Ready,SchedulingDisabled" in kubectl("get", "node", "node-2").stdout
    kubectl("uncordon", "node-2")
