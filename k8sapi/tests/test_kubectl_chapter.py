"""The chapter's transcript, command for command, with the real kubectl against the real server.

The server runs its controllers on a clock at 1x wall time: a DaemonSet pod is Running about
4 s after it is created. Tests wait with kubectl's own waiting commands (`rollout status`,
`wait`), which watch the API, never with sleeps.
"""
from __future__ import annotations

import re
import shutil

import pytest

from k8sapi.tests.conftest import EXAMPLES

AGE = r"\d+s"
DS_HEADER = "NAME                 DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR   AGE"
POD_HEADER = "NAME                       READY   STATUS    RESTARTS   AGE"


def lines(text: str) -> list[str]:
    return text.rstrip("\n").split("\n")


def assert_rows(text: str, header: str, patterns: list[str]) -> list[str]:
    """The header exactly, then one row per pattern (in order), each matching in full."""
    got = lines(text)
    assert got[0] == header
    assert len(got) == len(patterns) + 1, text
    for row, pattern in zip(got[1:], patterns):
        assert re.fullmatch(pattern, row), f"{row!r} does not match {pattern!r}"
    return got[1:]


@pytest.fixture(scope="module")
def chapter(kubectl):
    """The chapter's files, under the chapter's names, in kubectl's working directory."""
    shutil.copy(EXAMPLES / "my-first-daemonset.yaml", kubectl.cwd / "my-first-deamonset.yaml")
    shutil.copy(EXAMPLES / "hello-world-job.yaml", kubectl.cwd / "hello-world-job.yaml")
    return kubectl


def test_version_reports_1_32(kubectl):
    out = kubectl("version").stdout
    assert "Client Version: v1.32" in out
    assert "Server Version: v1.32.0-kubesim" in out


def test_the_daemonset_runs_one_pod_per_node(chapter):
    kubectl = chapter
    assert kubectl("create", "-f", "my-first-deamonset.yaml").stdout == "daemonset.apps/my-first-daemonset created\n"
    kubectl("rollout", "status", "ds/my-first-daemonset", "--timeout=60s")

    pods = assert_rows(kubectl("get", "pod").stdout, POD_HEADER,
                       [rf"my-first-daemonset-[a-z0-9]{{5}}   1/1     Running   0          {AGE}"] * 3)
    assert len({row.split()[0] for row in pods}) == 3
    assert_rows(kubectl("get", "ds").stdout, DS_HEADER,
                [rf"my-first-daemonset   3         3         3       3            3           <none>          {AGE}"])

    wide = lines(kubectl("get", "pods", "-o", "wide").stdout)
    assert wide[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED", "NODE",
                               "READINESS", "GATES"]
    assert sorted(row.split()[6] for row in wide[1:]) == ["node-1", "node-2", "node-3"]


def test_the_job_says_hello_world(chapter):
    kubectl = chapter
    assert kubectl("create", "-f", "hello-world-job.yaml").stdout == "job.batch/hello-world created\n"
    kubectl("wait", "--for=condition=complete", "job/hello-world", "--timeout=60s")
    assert_rows(kubectl("get", "jobs").stdout,
                "NAME          STATUS     COMPLETIONS   DURATION   AGE",
                [rf"hello-world   Complete   1/1           {AGE}\s+{AGE}"])
    rows = lines(kubectl("get", "pods", "-l", "job-name=hello-world").stdout)
    assert rows[0] == "NAME                READY   STATUS      RESTARTS   AGE"
    name = rows[1].split()[0]
    assert re.fullmatch(rf"hello-world-[a-z0-9]{{5}}   0/1     Completed   0          {AGE}", rows[1])
    assert kubectl("logs", name).stdout == "Hello World\n"
    assert kubectl("logs", "job/hello-world").stdout == "Hello World\n"
    stamped = kubectl("logs", name, "--timestamps").stdout
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z Hello World\n", stamped)


def test_describe_shows_what_the_controllers_recorded(chapter):
    kubectl = chapter
    ds = kubectl("describe", "ds", "my-first-daemonset").stdout
    assert re.search(r"^Name:\s+my-first-daemonset$", ds, re.M)
    assert "Desired Number of Nodes Scheduled: 3" in ds
    assert re.search(r"Normal\s+SuccessfulCreate\s+\S+\s+daemonset-controller\s+Created pod: my-first-daemonset-",
                     ds)
    job = kubectl("describe", "job", "hello-world").stdout
    assert re.search(r"Normal\s+SuccessfulCreate\s+\S+\s+job-controller\s+Created pod: hello-world-", job)
    assert re.search(r"Normal\s+Completed\s+\S+\s+job-controller\s+Job completed", job)
    pod = kubectl("get", "pods", "-l", "app=my-first-daemonset", "-o", "jsonpath={.items[0].metadata.name}").stdout
    described = kubectl("describe", "pod", pod).stdout
    assert re.search(r"^Status:\s+Running$", described, re.M)
    for reason in ("Scheduled", "Pulled", "Created", "Started"):
        assert re.search(rf"Normal\s+{reason}\s", described), reason
    node = kubectl("describe", "node", "node-1").stdout
    assert re.search(r"^Name:\s+node-1$", node, re.M)
    assert "my-first-daemonset-" in node  # the Non-terminated Pods list


def test_apply_twice_then_a_new_image_rolls_the_daemonset(chapter):
    kubectl = chapter
    manifest = (EXAMPLES / "my-first-daemonset.yaml").read_text().replace("my-first-daemonset", "web")
    (kubectl.cwd / "web.yaml").write_text(manifest)
    assert kubectl("apply", "-f", "web.yaml").stdout == "daemonset.apps/web created\n"
    assert kubectl("apply", "-f", "web.yaml").stdout == "daemonset.apps/web unchanged\n"
    kubectl("rollout", "status", "ds/web", "--timeout=60s")
    old_pods = set(kubectl("get", "pods", "-l", "app=web", "-o", "name").stdout.split())

    (kubectl.cwd / "web.yaml").write_text(manifest.replace("nginx:latest", "nginx:1.27"))
    assert kubectl("apply", "-f", "web.yaml").stdout == "daemonset.apps/web configured\n"
    status = kubectl("rollout", "status", "ds/web", "--timeout=90s").stdout
    assert lines(status)[-1] == 'daemon set "web" successfully rolled out'
    images = kubectl("get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].spec.containers[0].image}").stdout
    assert images.split() == ["nginx:1.27"] * 3
    assert not old_pods & set(kubectl("get", "pods", "-l", "app=web", "-o", "name").stdout.split())

    history = kubectl("rollout", "history", "ds/web").stdout
    assert history == "daemonset.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"
    assert kubectl("rollout", "undo", "ds/web").stdout == "daemonset.apps/web rolled back\n"
    kubectl("rollout", "status", "ds/web", "--timeout=90s")
    images = kubectl("get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].spec.containers[0].image}").stdout
    assert images.split() == ["nginx:latest"] * 3
    history = kubectl("rollout", "history", "ds/web").stdout
    assert history == "daemonset.apps/web \nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n\n"


def test_a_deleted_pod_is_replaced_on_its_node(chapter):
    kubectl = chapter
    pod, node = kubectl("get", "pods", "-l", "app=my-first-daemonset", "-o",
                        "jsonpath={.items[0].metadata.name} {.items[0].spec.nodeName}").stdout.split()
    assert kubectl("delete", "pod", pod).stdout == f'pod "{pod}" deleted\n'
    kubectl("rollout", "status", "ds/my-first-daemonset", "--timeout=60s")
    on_node = kubectl("get", "pods", "-l", "app=my-first-daemonset", "--field-selector", f"spec.nodeName={node}",
                      "-o", "name").stdout.split()
    assert len(on_node) == 1 and on_node != [f"pod/{pod}"]
    kubectl("wait", "--for=condition=Ready", on_node[0], "--timeout=60s")


def test_get_output_options(chapter):
    kubectl = chapter
    everything = kubectl("get", "pods", "-A", "--show-labels").stdout
    assert lines(everything)[0].split() == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "LABELS"]
    assert re.search(r"^default\s+my-first-daemonset-\S+\s+1/1\s+Running\s+0\s+\S+\s+app=my-first-daemonset,"
                     r"controller-revision-hash=\w+,pod-template-generation=1$", everything, re.M)
    labelled = lines(kubectl("get", "nodes", "-L", "kubernetes.io/hostname").stdout)
    assert labelled[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "HOSTNAME"]
    assert re.fullmatch(rf"node-1   Ready    <none>   {AGE}\s+v1.32.0   node-1", labelled[1])
    names = kubectl("get", "ds", "-o", "name").stdout.split()
    assert names == ["daemonset.apps/my-first-daemonset", "daemonset.apps/web"]
    sorted_out = lines(kubectl("get", "ds", "--sort-by=.metadata.name", "-o", "wide").stdout)
    assert [r.split()[0] for r in sorted_out[1:]] == ["my-first-daemonset", "web"]
    assert "CONTAINERS" in sorted_out[0] and "SELECTOR" in sorted_out[0]
    everything = kubectl("get", "all").stdout
    assert "daemonset.apps/my-first-daemonset" in everything and "job.batch/hello-world" in everything


def test_logs_follow_until_the_container_ends(chapter):
    kubectl = chapter
    kubectl("run", "counter", "--image=busybox:1.36", "--restart=Never", "--",
            "sh", "-c", "echo one; sleep 2; echo two; sleep 2; echo three")
    kubectl("wait", "--for=jsonpath={.status.phase}=Running", "pod/counter", "--timeout=60s")
    follow = kubectl.start("logs", "-f", "counter")
    assert [follow.wait_for(lambda _: True) for _ in range(3)] == ["one", "two", "three"]
    assert follow.process.wait(timeout=30) == 0  # the stream ended with the container
    assert kubectl("logs", "counter", "--tail=1").stdout == "three\n"
    assert kubectl("logs", "counter", "-c", "nope", check=False).stderr == \
        "error: container nope is not valid for pod counter\n"


def test_server_side_apply_owns_fields_removes_dropped_ones_and_reports_conflicts(chapter):
    """kubectl apply --server-side: the manager owns what it applied (metadata.managedFields)."""
    kubectl = chapter
    manifest = (EXAMPLES / "my-first-daemonset.yaml").read_text().replace("my-first-daemonset", "ssa")
    labelled = manifest.replace("  name: ssa\n", "  name: ssa\n  labels:\n    tier: web\n", 1)
    assert "tier: web" in labelled
    (kubectl.cwd / "ssa.yaml").write_text(labelled)
    assert kubectl("apply", "--server-side", "-f", "ssa.yaml").stdout == "daemonset.apps/ssa serverside-applied\n"
    managers = kubectl("get", "ds/ssa", "--show-managed-fields", "-o",
                       "jsonpath={.metadata.managedFields[*].manager}").stdout
    assert managers == "kubectl"
    assert kubectl("get", "ds/ssa", "-o", "jsonpath={.metadata.labels.tier}").stdout == "web"

    # Dropping the label from the applied file removes it (the manager owned it).
    (kubectl.cwd / "ssa.yaml").write_text(manifest)
    kubectl("apply", "--server-side", "-f", "ssa.yaml")
    assert kubectl("get", "ds/ssa", "-o", "jsonpath={.metadata.labels}").stdout in ("", "{}")

    # Another manager applying a different image conflicts, in the API server's words...
    (kubectl.cwd / "other.yaml").write_text(manifest.replace("nginx:latest", "nginx:1.27"))
    refused = kubectl("apply", "--server-side", "--field-manager=other", "-f", "other.yaml", check=False)
    assert refused.returncode != 0
    assert 'Apply failed with 1 conflict: conflict with "kubectl": .spec.template.spec.containers[name="my-first-container"].image' \
        in refused.stderr
    image = "jsonpath={.spec.template.spec.containers[0].image}"
    assert kubectl("get", "ds/ssa", "-o", image).stdout == "nginx:latest"
    # ...until it forces: then the field is its own.
    kubectl("apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", "other.yaml")
    assert kubectl("get", "ds/ssa", "-o", image).stdout == "nginx:1.27"
    kubectl("delete", "ds/ssa")
