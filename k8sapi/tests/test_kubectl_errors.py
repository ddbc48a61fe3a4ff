"""Every error kind reaches kubectl as a Status, so it prints what it prints for a real cluster."""
from __future__ import annotations

import pytest
import yaml

from k8sapi.tests.conftest import EXAMPLES, Kubectl, http_server, write_kubeconfig

BAD_POD = """apiVersion: v1
kind: Pod
metadata:
  name: bad
spec:
  containers:
  - name: c
"""
WORSE_POD = """apiVersion: v1
kind: Pod
metadata:
  name: worse
spec:
  restartPolicy: Sometimes
  containers:
  - name: c
"""


def anonymous(kubectl: Kubectl, server: str, tmp_path, name: str = "anonymous") -> Kubectl:
    """kubectl with a kubeconfig for plain HTTP: kubectl sends no credentials there."""
    path = tmp_path / name
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u", "namespace": "default"}}],
        "users": [{"name": "u", "user": {}}],
    }))
    return Kubectl(path, kubectl.home, kubectl.cwd)


def test_not_found(kubectl):
    result = kubectl("get", "pod", "nope", check=False)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", 'Error from server (NotFound): pods "nope" not found\n')
    assert kubectl("get", "ds", "nope", check=False).stderr == \
        'Error from server (NotFound): daemonsets.apps "nope" not found\n'
    assert kubectl("describe", "pod", "nope", check=False).stderr == \
        'Error from server (NotFound): pods "nope" not found\n'
    assert kubectl("delete", "job", "nope", check=False).stderr == \
        'Error from server (NotFound): jobs.batch "nope" not found\n'
    assert kubectl("get", "pods", "-n", "nowhere").stderr == "No resources found in nowhere namespace.\n"


def test_already_exists(kubectl):
    (kubectl.cwd / "ds.yaml").write_text((EXAMPLES / "my-first-daemonset.yaml").read_text())
    kubectl("create", "-f", "ds.yaml")
    result = kubectl("create", "-f", "ds.yaml", check=False)
    assert result.returncode == 1
    assert result.stderr == ('Error from server (AlreadyExists): error when creating "ds.yaml": '
                             'daemonsets.apps "my-first-daemonset" already exists\n')


def test_invalid_names_the_fields(kubectl):
    result = kubectl("create", "-f", "-", input=BAD_POD, check=False)
    assert result.stderr == 'The Pod "bad" is invalid: spec.containers[0].image: Required value\n'
    result = kubectl("create", "-f", "-", input=WORSE_POD, check=False)
    assert result.stderr.splitlines() == [
        'The Pod "worse" is invalid: ',
        '* spec.containers[0].image: Required value',
        '* spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ]


def test_conflict_on_a_stale_replace(kubectl):
    kubectl("create", "-f", "-", input="apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n")
    (kubectl.cwd / "team.yaml").write_text(kubectl("get", "ns", "team", "-o", "yaml").stdout)
    assert kubectl("label", "ns", "team", "owner=me").stdout == "namespace/team labeled\n"
    result = kubectl("replace", "-f", "team.yaml", check=False)
    assert result.stderr == ('Error from server (Conflict): error when replacing "team.yaml": Operation cannot be '
                             'fulfilled on namespaces "team": the object has been modified; please apply your '
                             'changes to the latest version and try again\n')
    (kubectl.cwd / "team.yaml").write_text(kubectl("get", "ns", "team", "-o", "yaml").stdout)
    assert kubectl("replace", "-f", "team.yaml").stdout == "namespace/team replaced\n"


def test_the_system_namespaces_stay(kubectl):
    result = kubectl("delete", "namespace", "default", check=False)
    assert result.stderr == ('Error from server (Forbidden): namespaces "default" is forbidden: '
                             'this namespace may not be deleted\n')


def test_bad_field_selector(kubectl):
    result = kubectl("get", "pods", "--field-selector", "spec.color=blue", check=False)
    assert result.stderr == ('Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label '
                             'selector "", field selector "spec.color=blue": field label not supported: spec.color\n')


def test_anonymous_may_read_a_public_cluster_and_nothing_more(kubectl, live_server, tmp_path):
    guest = anonymous(kubectl, http_server(live_server), tmp_path)
    assert guest("get", "nodes", "-o", "name").stdout.split() == ["node/node-1", "node/node-2", "node/node-3"]
    result = guest("create", "-f", str(EXAMPLES / "hello-world-job.yaml"), check=False)
    assert result.stderr == (
        f'Error from server (Forbidden): error when creating "{EXAMPLES / "hello-world-job.yaml"}": jobs.batch is '
        'forbidden: User "system:anonymous" cannot create resource "jobs" in API group "batch" in the namespace '
        '"default"\n')
    result = guest("delete", "node", "node-1", check=False)
    assert result.stderr == ('Error from server (Forbidden): nodes "node-1" is forbidden: User "system:anonymous" '
                             'cannot delete resource "nodes" in API group "" at the cluster scope\n')
    result = guest("cordon", "node-1", check=False)
    assert 'cannot patch resource "nodes" in API group "" at the cluster scope' in result.stderr


@pytest.fixture(scope="module")
def private(live_server):
    # a seed of its own: uids are drawn from the cluster's seed and must not collide with default's
    live_server.manage("shell", "-c", "from cluster.bootstrap import ensure_cluster\n"
                                      "c = ensure_cluster('private', seed=7); c.public = False; c.save()")
    return "private"


def test_a_private_cluster_needs_its_own_token(kubectl, live_server, tmp_path, private):
    guest = anonymous(kubectl, http_server(live_server, private), tmp_path, "private-guest")
    result = guest("get", "pods", check=False)
    assert result.returncode == 1
    assert result.stderr == ('Error from server (Forbidden): pods is forbidden: User "system:anonymous" cannot list '
                             'resource "pods" in API group "" in the namespace "default"\n')

    # the default cluster's token is someone's, but not for this cluster
    other = yaml.safe_load(kubectl.kubeconfig.read_text())
    other["clusters"][0]["cluster"]["server"] = other["clusters"][0]["cluster"]["server"].replace("/default", "/private")
    (tmp_path / "other").write_text(yaml.safe_dump(other))
    result = Kubectl(tmp_path / "other", tmp_path / "other-home", kubectl.cwd)("get", "pods", check=False)
    assert result.stderr == ('Error from server (Forbidden): pods is forbidden: User "teacher" cannot list '
                             'resource "pods" in API group "" in the namespace "default"\n')

    mine = Kubectl(write_kubeconfig(live_server, tmp_path / "mine", cluster=private), tmp_path / "mine-home",
                   kubectl.cwd)
    assert mine("get", "pods").stderr == "No resources found in default namespace.\n"
    assert mine("get", "ns", "-o", "name").stdout.split() == ["namespace/default", "namespace/kube-system"]


def test_a_token_that_is_not_ours_is_unauthorized(kubectl, tmp_path):
    config = yaml.safe_load(kubectl.kubeconfig.read_text())
    config["users"][0]["user"]["token"] = "kubesim.forged.0000"
    (tmp_path / "forged").write_text(yaml.safe_dump(config))
    result = Kubectl(tmp_path / "forged", tmp_path / "forged-home", kubectl.cwd)("get", "pods", check=False)
    assert result.returncode == 1
    # kubectl 1.32 meets the 401 during aggregated discovery and words it so (as with a real server)
    assert result.stderr.splitlines()[-1] == ("error: You must be logged in to the server "
                                              "(the server has asked for the client to provide credentials)")


TYPO_JOB = """apiVersion: batch/v1
kind: Job
metadata:
  name: typo
spec:
  backofLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox
        comand: ["sh", "-c", "exit 1"]
"""


def test_misspelt_fields_are_refused_as_kubectl_asks_or_dropped_with_a_warning(kubectl):
    """kubectl validates strictly by default (the server's `fieldValidation=Strict`)."""
    result = kubectl("apply", "-f", "-", input=TYPO_JOB, check=False)
    assert result.returncode == 1
    assert result.stderr == (
        'Error from server (BadRequest): error when creating "STDIN": Job in version "v1" cannot be handled as a '
        'Job: strict decoding error: unknown field "spec.backofLimit", '
        'unknown field "spec.template.spec.containers[0].comand"\n')
    assert kubectl("get", "jobs", "-o", "name").stdout == ""          # nothing half-applied
    warned = kubectl("create", "--validate=warn", "-f", "-", input=TYPO_JOB)
    assert warned.stdout == "job.batch/typo created\n"
    assert warned.stderr == ('Warning: unknown field "spec.backofLimit"\n'
                             'Warning: unknown field "spec.template.spec.containers[0].comand"\n')
    job = yaml.safe_load(kubectl("get", "job", "typo", "-o", "yaml").stdout)
    assert "backofLimit" not in job["spec"] and job["spec"]["backoffLimit"] == 6      # dropped, then defaulted
    assert "comand" not in job["spec"]["template"]["spec"]["containers"][0]
    ignored = kubectl("create", "--validate=false", "-f", "-", input=TYPO_JOB.replace("name: typo", "name: typo2"))
    assert (ignored.stdout, ignored.stderr) == ("job.batch/typo2 created\n", "")
