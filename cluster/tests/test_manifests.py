"""cluster.manifests: parsing, API-server defaults and validation with upstream's messages.

Pure tests (no database). Objects are built from the chapter's two seed manifests with small
edits, then put through `prepare` as the store does; messages are asserted as full strings.
"""
from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from cluster.manifests import (
    KINDS,
    TEMPLATE_GENERATION_ANNOTATION,
    ErrorType,
    FieldError,
    InvalidError,
    ManifestError,
    apply_defaults,
    kind_info,
    next_template_generation,
    parse_documents,
    parse_schedule,
    prepare,
    resolve_resource,
    validate,
)

DAEMONSET_YAML = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: my-first-daemonset
spec:
  selector:
    matchLabels:
      app: my-first-daemonset
  template:
    metadata:
      labels:
        app: my-first-daemonset
    spec:
      containers:
      - name: my-first-container
        image: nginx:latest
        imagePullPolicy: IfNotPresent
        ports:
        - containerPort: 80
"""

JOB_YAML = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: hello-world
spec:
  template:
    spec:
      containers:
      - name: hello-world
        image: redis:latest
        command: ['sh', '-c', 'echo "Hello World"']
      restartPolicy: Never
  backoffLimit: 4
"""

CRONJOB = {
    "apiVersion": "batch/v1",
    "kind": "CronJob",
    "metadata": {"name": "hello"},
    "spec": {
        "schedule": "*/5 * * * *",
        "jobTemplate": {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [{"name": "hello", "image": "busybox:1.36", "command": ["date"]}],
                        "restartPolicy": "OnFailure",
                    }
                }
            }
        },
    },
}

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p", "namespace": "default"},
    "spec": {"containers": [{"name": "c", "image": "nginx"}]},
}

JOB_UID = "uid-1"
IGNORE_DISRUPTION = {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}
DELETE = object()

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation "
    r"is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
    "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
QUALIFIED_NAME_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
PERCENT_MSG = (
    "a valid percent string must be a numeric string followed by an ending '%' "
    "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"
)
NIL_EXPRESSIONS = "MatchExpressions:[]v1.LabelSelectorRequirement(nil)"


# --- builders ----------------------------------------------------------------------------------


def _set(obj: Any, path: str, value: Any) -> None:
    """Set (or with DELETE remove) `path`, e.g. `spec.template.spec.containers[0].image`;
    an index one past the end appends."""
    keys = [int(i) if i else k for k, i in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path)]
    for key in keys[:-1]:
        obj = obj[key] if isinstance(key, int) else obj.setdefault(key, {})
    if value is DELETE:
        obj.pop(keys[-1], None)
    elif isinstance(obj, list) and keys[-1] == len(obj):
        obj.append(value)
    else:
        obj[keys[-1]] = value


def edited(base: dict | str, changes: dict[str, Any] | None = None) -> dict:
    obj = copy.deepcopy(parse_documents(base)[0] if isinstance(base, str) else base)
    for path, value in (changes or {}).items():
        _set(obj, path, value)
    return obj


def daemonset(changes: dict[str, Any] | None = None) -> dict:
    return edited(DAEMONSET_YAML, changes)


def job(changes: dict[str, Any] | None = None) -> dict:
    """The seed Job with the uid the store assigns before defaulting."""
    return edited(JOB_YAML, {"metadata.uid": JOB_UID, **(changes or {})})


def cronjob(changes: dict[str, Any] | None = None) -> dict:
    return edited(CRONJOB, changes)


def pod(changes: dict[str, Any] | None = None) -> dict:
    return edited(POD, changes)


def rejection(obj: dict, old: dict | None = None) -> str:
    with pytest.raises(InvalidError) as caught:
        prepare(obj, old)
    return str(caught.value)


# --- the seed manifests ------------------------------------------------------------------------


def test_seed_daemonset_gets_apiserver_defaults():
    ds = prepare(parse_documents(DAEMONSET_YAML, source="ds.yaml")[0])

    assert ds["spec"]["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
    }
    assert ds["spec"]["revisionHistoryLimit"] == 10
    assert "minReadySeconds" not in ds["spec"]
    pod_spec = ds["spec"]["template"]["spec"]
    assert pod_spec == pod_spec | {
        "restartPolicy": "Always",
        "dnsPolicy": "ClusterFirst",
        "schedulerName": "default-scheduler",
        "terminationGracePeriodSeconds": 30,
        "securityContext": {},
    }
    assert pod_spec["containers"][0] == {
        "name": "my-first-container",
        "image": "nginx:latest",
        "imagePullPolicy": "IfNotPresent",  # explicit in the seed, kept
        "ports": [{"containerPort": 80, "protocol": "TCP"}],
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "resources": {},
    }
    assert ds["metadata"]["annotations"] == {TEMPLATE_GENERATION_ANNOTATION: "1"}
    assert "labels" not in ds["metadata"]  # apps/v1 no longer copies template labels
    assert ds["status"] == {
        "currentNumberScheduled": 0,
        "numberMisscheduled": 0,
        "desiredNumberScheduled": 0,
        "numberReady": 0,
    }
    assert validate(ds) == []


def test_seed_daemonset_without_pull_policy_pulls_latest_always():
    ds = prepare(daemonset({"spec.template.spec.containers[0].imagePullPolicy": DELETE}))
    assert ds["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Always"


def test_seed_job_gets_apiserver_defaults_and_generated_selector():
    generated = {
        "batch.kubernetes.io/controller-uid": JOB_UID,
        "batch.kubernetes.io/job-name": "hello-world",
        "controller-uid": JOB_UID,
        "job-name": "hello-world",
    }
    j = prepare(job())

    spec = j["spec"]
    assert (spec["completions"], spec["parallelism"], spec["backoffLimit"]) == (1, 1, 4)
    assert spec["completionMode"] == "NonIndexed"
    assert spec["suspend"] is False
    assert spec["podReplacementPolicy"] == "TerminatingOrFailed"
    assert "manualSelector" not in spec
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": JOB_UID}}
    assert spec["template"]["metadata"]["labels"] == generated
    assert j["metadata"]["labels"] == generated
    assert spec["template"]["spec"]["restartPolicy"] == "Never"
    assert spec["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Always"
    assert "status" not in j
    assert validate(j) == []


def test_job_without_uid_gets_no_generated_selector():
    j = apply_defaults(job({"metadata.uid": DELETE}))
    assert "selector" not in j["spec"]
    assert "metadata" not in j["spec"]["template"]


def test_defaulting_returns_a_copy():
    original = job()
    apply_defaults(original)
    assert original == job()


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.25", "IfNotPresent"),
        ("nginx@sha256:0123abcd", "IfNotPresent"),
        ("localhost:5000/team/nginx", "Always"),
        ("localhost:5000/team/nginx:1.0", "IfNotPresent"),
    ],
    ids=["no-tag", "latest", "tag", "digest", "registry-port-no-tag", "registry-port-tag"],
)
def test_image_pull_policy_follows_the_tag(image, policy):
    p = apply_defaults(pod({"spec.containers[0].image": image}))
    assert p["spec"]["containers"][0]["imagePullPolicy"] == policy


@pytest.mark.parametrize(
    ("completions", "parallelism", "expected"),
    [
        (DELETE, DELETE, (1, 1)),
        (5, DELETE, (5, 1)),
        (DELETE, 3, (None, 3)),
        (2, 4, (2, 4)),
    ],
    ids=["both unset: both 1", "parallelism unset: 1", "completions unset: work queue", "both set: kept"],
)
def test_job_completions_and_parallelism_defaults(completions, parallelism, expected):
    spec = apply_defaults(job({"spec.completions": completions, "spec.parallelism": parallelism}))["spec"]
    assert (spec.get("completions"), spec["parallelism"]) == expected


@pytest.mark.parametrize(
    ("changes", "backoff_limit", "replacement"),
    [
        ({"spec.backoffLimit": DELETE}, 6, "TerminatingOrFailed"),
        (
            {"spec.backoffLimit": DELETE, "spec.completionMode": "Indexed", "spec.backoffLimitPerIndex": 1},
            2147483647,
            "TerminatingOrFailed",
        ),
        ({"spec.podFailurePolicy": {"rules": [IGNORE_DISRUPTION]}}, 4, "Failed"),
    ],
    ids=["backoffLimit 6", "per-index backoff: MaxInt32", "podFailurePolicy: Failed replacement"],
)
def test_job_backoff_and_replacement_defaults(changes, backoff_limit, replacement):
    spec = apply_defaults(job(changes))["spec"]
    assert (spec["backoffLimit"], spec["podReplacementPolicy"]) == (backoff_limit, replacement)


def test_pod_failure_policy_condition_status_defaults_to_true():
    spec = apply_defaults(job({"spec.podFailurePolicy": {"rules": [IGNORE_DISRUPTION]}}))["spec"]
    assert spec["podFailurePolicy"]["rules"][0]["onPodConditions"] == [{"type": "DisruptionTarget", "status": "True"}]


def test_cronjob_defaults_reach_the_pod_template_but_not_the_job_spec():
    cj = prepare(cronjob())
    spec = cj["spec"]
    assert spec == spec | {
        "concurrencyPolicy": "Allow",
        "suspend": False,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 1,
    }
    job_spec = spec["jobTemplate"]["spec"]
    assert job_spec["template"]["spec"]["dnsPolicy"] == "ClusterFirst"
    assert job_spec["template"]["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    assert not {"completions", "parallelism", "backoffLimit", "selector"} & job_spec.keys()


def test_pod_defaults():
    p = prepare(pod({"spec.containers[0].resources": {"limits": {"cpu": "500m"}}}))
    assert p["status"] == {"phase": "Pending"}
    assert p["spec"]["restartPolicy"] == "Always"
    assert p["spec"]["enableServiceLinks"] is True
    assert p["spec"]["containers"][0]["resources"] == {"limits": {"cpu": "500m"}, "requests": {"cpu": "500m"}}


def test_namespace_and_node_defaults():
    ns = prepare({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
    assert ns["spec"] == {"finalizers": ["kubernetes"]}
    assert ns["status"] == {"phase": "Active"}
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "demo"}
    node = prepare({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"}})
    assert node["spec"] == {}


def test_ondelete_strategy_gets_no_rolling_update():
    ds = prepare(daemonset({"spec.updateStrategy": {"type": "OnDelete"}}))
    assert ds["spec"]["updateStrategy"] == {"type": "OnDelete"}


def test_partial_rolling_update_is_completed():
    ds = prepare(daemonset({"spec.updateStrategy": {"rollingUpdate": {"maxUnavailable": "10%"}}}))
    assert ds["spec"]["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "10%", "maxSurge": 0},
    }


@pytest.mark.parametrize(
    ("template_change", "old_generation", "expected"),
    [
        ({}, "1", "1"),
        ({"spec.template.spec.containers[0].image": "nginx:1.27"}, "1", "2"),
        ({"spec.template.spec.containers[0].image": "nginx:1.27"}, "4", "5"),
        ({"spec.minReadySeconds": 5}, "4", "4"),
    ],
    ids=["unchanged", "template changed", "template changed again", "other spec change"],
)
def test_next_template_generation(template_change, old_generation, expected):
    old = prepare(daemonset({"metadata.annotations": {TEMPLATE_GENERATION_ANNOTATION: old_generation}}))
    new = prepare(daemonset(template_change))
    assert next_template_generation(new, old)["metadata"]["annotations"][TEMPLATE_GENERATION_ANNOTATION] == expected


# --- parsing ---------------------------------------------------------------------------------


def test_multi_document_yaml_skips_empty_documents():
    text = f"---\n{DAEMONSET_YAML}---\n---\n# only a comment\n---\n{JOB_YAML}"
    assert [d["kind"] for d in parse_documents(text)] == ["DaemonSet", "Job"]


@pytest.mark.parametrize(
    "text",
    [
        "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n"
        "- {apiVersion: v1, kind: Node, metadata: {name: b}}\n",
        '{"apiVersion": "v1", "kind": "NodeList", "items": ['
        '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}},'
        '{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "b"}}]}',
        '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}\n'
        '{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "b"}}',
    ],
    ids=["yaml List", "json NodeList", "json stream"],
)
def test_lists_and_json_streams_expand_to_their_objects(text):
    assert [(d["kind"], d["metadata"]["name"]) for d in parse_documents(text)] == [("Namespace", "a"), ("Node", "b")]


def test_timestamps_stay_strings():
    text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  creationTimestamp: 2024-01-02T03:04:05Z\n"
    doc = parse_documents(text)[0]
    assert doc["metadata"]["creationTimestamp"] == "2024-01-02T03:04:05Z"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x: y\n",
            "error parsing ds.yaml: error converting YAML to JSON: yaml: line 4: mapping values are not allowed in this context",
        ),
        (
            "metadata:\n  name: x\n",
            'error validating "ds.yaml": error validating data: [apiVersion not set, kind not set]; '
            "if you choose to ignore these errors, turn validation off with --validate=false",
        ),
        (
            "apiVersion: v1\nmetadata:\n  name: x\n",
            'error validating "ds.yaml": error validating data: kind not set; '
            "if you choose to ignore these errors, turn validation off with --validate=false",
        ),
        (
            "- a\n- b\n",
            "error parsing ds.yaml: json: cannot unmarshal array into Go value of type map[string]interface {}",
        ),
        (
            '{"apiVersion": "v1",}',
            "error parsing ds.yaml: Expecting property name enclosed in double quotes: line 1 column 21 (char 20)",
        ),
    ],
    ids=["yaml syntax", "no apiVersion or kind", "no kind", "not a mapping", "json syntax"],
)
def test_unreadable_manifests(text, message):
    with pytest.raises(ManifestError) as caught:
        parse_documents(text, source="ds.yaml")
    assert str(caught.value) == message


# --- kinds -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("pod", "Pod"), ("pods", "Pod"), ("po", "Pod"),
        ("ds", "DaemonSet"), ("daemonset", "DaemonSet"), ("daemonsets", "DaemonSet"),
        ("daemonsets.apps", "DaemonSet"), ("daemonset.apps", "DaemonSet"), ("DaemonSet", "DaemonSet"),
        ("job", "Job"), ("jobs", "Job"), ("jobs.batch", "Job"),
        ("cronjob", "CronJob"), ("cronjobs", "CronJob"), ("cj", "CronJob"),
        ("node", "Node"), ("nodes", "Node"), ("no", "Node"),
        ("ns", "Namespace"), ("namespace", "Namespace"), ("namespaces", "Namespace"),
        ("ev", "Event"), ("event", "Event"), ("events", "Event"),
        ("controllerrevision", "ControllerRevision"), ("controllerrevisions", "ControllerRevision"),
    ],
)
def test_resolve_resource(word, kind):
    assert resolve_resource(word) == kind


def test_unknown_resource_word():
    with pytest.raises(ManifestError, match=r'^the server doesn\'t have a resource type "deploy"$'):
        resolve_resource("deploy")


def test_kind_registry():
    assert [(k.kind, k.api_version, k.resource, k.namespaced, k.short_names) for k in KINDS.values()] == [
        ("Node", "v1", "nodes", False, ("no",)),
        ("Namespace", "v1", "namespaces", False, ("ns",)),
        ("Pod", "v1", "pods", True, ("po",)),
        ("Event", "v1", "events", True, ("ev",)),
        ("DaemonSet", "apps/v1", "daemonsets", True, ("ds",)),
        ("ControllerRevision", "apps/v1", "controllerrevisions", True, ()),
        ("Job", "batch/v1", "jobs", True, ()),
        ("CronJob", "batch/v1", "cronjobs", True, ("cj",)),
    ]
    assert (KINDS["DaemonSet"].group, KINDS["Pod"].group) == ("apps", "")


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [("apps/v1", "Deployment"), ("extensions/v1beta1", "DaemonSet"), ("batch/v1beta1", "CronJob")],
)
def test_unserved_kinds_have_no_matches(api_version, kind):
    with pytest.raises(ManifestError) as caught:
        prepare({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}})
    assert str(caught.value) == f'no matches for kind "{kind}" in version "{api_version}"'
    with pytest.raises(ManifestError):
        kind_info({"apiVersion": api_version, "kind": kind})


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (
            job({"spec.parallelism": "2"}),
            'Job in version "v1" cannot be handled as a Job: '
            "json: cannot unmarshal string into Go struct field JobSpec.spec.parallelism of type int32",
        ),
        (
            daemonset({"spec.template.spec.containers[0].image": 5}),
            'DaemonSet in version "v1" cannot be handled as a DaemonSet: json: cannot unmarshal number '
            "into Go struct field Container.spec.template.spec.containers.image of type string",
        ),
        (
            daemonset({"metadata.labels": {"tier": True}}),
            'DaemonSet in version "v1" cannot be handled as a DaemonSet: '
            "json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string",
        ),
    ],
    ids=["int field", "nested string field", "label value"],
)
def test_wrong_json_type_is_a_decode_error(obj, message):
    with pytest.raises(ManifestError) as caught:
        prepare(obj)
    assert str(caught.value) == message


# --- validation on create ----------------------------------------------------------------------

DS_INVALID = 'The DaemonSet "my-first-daemonset" is invalid: '
JOB_INVALID = 'The Job "hello-world" is invalid: '
CJ_INVALID = 'The CronJob "hello" is invalid: '
DS_CONTAINER = "spec.template.spec.containers[0]"
ROLLING = "spec.updateStrategy.rollingUpdate"


def percent(value: str) -> str:
    """How Go prints an `intstr.IntOrString` holding a string."""
    return f'intstr.IntOrString{{Type:1, IntVal:0, StrVal:"{value}"}}'


CREATE_CASES = [
    # metadata, any kind
    (
        "name with uppercase and underscore",
        daemonset({"metadata.name": "My_DS"}),
        f'The DaemonSet "My_DS" is invalid: metadata.name: Invalid value: "My_DS": {SUBDOMAIN_MSG}',
    ),
    (
        "missing name",
        daemonset({"metadata.name": DELETE}),
        'The DaemonSet "" is invalid: metadata.name: Required value: name or generateName is required',
    ),
    (
        "bad label key",
        daemonset({"metadata.labels": {"-tier": "web"}}),
        f'{DS_INVALID}metadata.labels: Invalid value: "-tier": {QUALIFIED_NAME_MSG}',
    ),
    (
        "label value too long",
        daemonset({"metadata.labels": {"tier": "x" * 64}}),
        f'{DS_INVALID}metadata.labels: Invalid value: "{"x" * 64}": must be no more than 63 characters',
    ),
    (
        "bad annotation key",
        daemonset({"metadata.annotations": {"example.com/a/b": "1"}}),
        f'{DS_INVALID}metadata.annotations: Invalid value: "example.com/a/b": a qualified name must consist of '
        "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character "
        "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' "
        "(e.g. 'example.com/MyName')",
    ),
    # DaemonSet
    (
        "selector does not match template labels",
        daemonset({"spec.template.metadata.labels": {"app": "y"}}),
        DS_INVALID + 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"y"}: '
        "`selector` does not match template `labels`",
    ),
    (
        "missing selector",
        daemonset({"spec.selector": DELETE}),
        DS_INVALID + 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"my-first-daemonset"}: '
        "`selector` does not match template `labels`",
    ),
    (
        "empty selector",
        daemonset({"spec.selector": {}}),
        f"{DS_INVALID}spec.selector: Invalid value: v1.LabelSelector{{MatchLabels:map[string]string(nil), "
        f"{NIL_EXPRESSIONS}}}: empty selector is invalid for daemonset",
    ),
    (
        "selector expression with bad operator",
        daemonset({"spec.selector": {"matchExpressions": [{"key": "app", "operator": "Like", "values": ["x"]}]}}),
        f'{DS_INVALID}spec.selector.matchExpressions[0].operator: Invalid value: "Like": not a valid selector operator',
    ),
    (
        "restartPolicy Never",
        daemonset({"spec.template.spec.restartPolicy": "Never"}),
        f'{DS_INVALID}spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ),
    (
        "activeDeadlineSeconds",
        daemonset({"spec.template.spec.activeDeadlineSeconds": 30}),
        f"{DS_INVALID}spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet is not Supported",
    ),
    (
        "unknown updateStrategy type",
        daemonset({"spec.updateStrategy": {"type": "Recreate"}}),
        f'{DS_INVALID}spec.updateStrategy: Unsupported value: apps.DaemonSetUpdateStrategy{{Type:"Recreate", '
        'RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: supported values: "RollingUpdate", "OnDelete"',
    ),
    (
        "maxUnavailable and maxSurge both 0",
        daemonset({ROLLING: {"maxUnavailable": 0, "maxSurge": 0}}),
        f"{DS_INVALID}{ROLLING}.maxUnavailable: Required value: cannot be 0 when maxSurge is 0",
    ),
    (
        "maxUnavailable and maxSurge both non-zero",
        daemonset({ROLLING: {"maxUnavailable": 1, "maxSurge": "10%"}}),
        f"{DS_INVALID}{ROLLING}.maxSurge: Invalid value: {percent('10%')}: may not be set when maxUnavailable is non-zero",
    ),
    (
        "maxUnavailable over 100%",
        daemonset({f"{ROLLING}.maxUnavailable": "150%"}),
        f"{DS_INVALID}{ROLLING}.maxUnavailable: Invalid value: {percent('150%')}: must not be greater than 100%",
    ),
    (
        "maxUnavailable not a percentage",
        daemonset({f"{ROLLING}.maxUnavailable": "half"}),
        f"{DS_INVALID}[{ROLLING}.maxUnavailable: Invalid value: {percent('half')}: {PERCENT_MSG}, "
        f"{ROLLING}.maxUnavailable: Required value: cannot be 0 when maxSurge is 0]",
    ),
    (
        "negative maxUnavailable",
        daemonset({f"{ROLLING}.maxUnavailable": -1}),
        f"{DS_INVALID}{ROLLING}.maxUnavailable: Invalid value: -1: must be greater than or equal to 0",
    ),
    (
        "negative minReadySeconds",
        daemonset({"spec.minReadySeconds": -1}),
        f"{DS_INVALID}spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0",
    ),
    (
        "negative revisionHistoryLimit",
        daemonset({"spec.revisionHistoryLimit": -1}),
        f"{DS_INVALID}spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0",
    ),
    # containers (DaemonSet template)
    (
        "no containers",
        daemonset({"spec.template.spec.containers": []}),
        f"{DS_INVALID}spec.template.spec.containers: Required value",
    ),
    (
        "container without name",
        daemonset({f"{DS_CONTAINER}.name": DELETE}),
        f"{DS_INVALID}{DS_CONTAINER}.name: Required value",
    ),
    (
        "container name not a DNS label",
        daemonset({f"{DS_CONTAINER}.name": "Web_1"}),
        f'{DS_INVALID}{DS_CONTAINER}.name: Invalid value: "Web_1": {LABEL_MSG}',
    ),
    (
        "duplicate container name",
        daemonset({"spec.template.spec.containers[1]": {"name": "my-first-container", "image": "busybox"}}),
        f'{DS_INVALID}spec.template.spec.containers[1].name: Duplicate value: "my-first-container"',
    ),
    (
        "container without image",
        daemonset({f"{DS_CONTAINER}.image": DELETE}),
        f"{DS_INVALID}{DS_CONTAINER}.image: Required value",
    ),
    (
        "container port out of range",
        daemonset({f"{DS_CONTAINER}.ports[0].containerPort": 70000}),
        f"{DS_INVALID}{DS_CONTAINER}.ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
    ),
    (
        "unknown pull policy",
        daemonset({f"{DS_CONTAINER}.imagePullPolicy": "Sometimes"}),
        f'{DS_INVALID}{DS_CONTAINER}.imagePullPolicy: Unsupported value: "Sometimes": '
        'supported values: "Always", "IfNotPresent", "Never"',
    ),
    (
        "template label key invalid (upstream path quirk)",
        daemonset({"spec.template.metadata.labels": {"app": "my-first-daemonset", "-x": "1"}}),
        f'{DS_INVALID}spec.template.labels: Invalid value: "-x": {QUALIFIED_NAME_MSG}',
    ),
    (
        "toleration without key must use Exists",
        daemonset({"spec.template.spec.tolerations": [{"operator": "Equal", "value": "x", "effect": "NoSchedule"}]}),
        f'{DS_INVALID}spec.template.spec.tolerations[0].operator: Invalid value: "Equal": '
        'operator must be Exists when `key` is empty, which means "match all values and all keys"',
    ),
    # Job
    (
        "job without restartPolicy",
        job({"spec.template.spec.restartPolicy": DELETE}),
        f'{JOB_INVALID}spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    ),
    (
        "job with restartPolicy Always",
        job({"spec.template.spec.restartPolicy": "Always"}),
        f'{JOB_INVALID}spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    ),
    (
        "negative parallelism",
        job({"spec.parallelism": -1}),
        f"{JOB_INVALID}spec.parallelism: Invalid value: -1: must be greater than or equal to 0",
    ),
    (
        "negative completions",
        job({"spec.completions": -1}),
        f"{JOB_INVALID}spec.completions: Invalid value: -1: must be greater than or equal to 0",
    ),
    (
        "negative backoffLimit",
        job({"spec.backoffLimit": -1}),
        f"{JOB_INVALID}spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0",
    ),
    (
        "negative activeDeadlineSeconds",
        job({"spec.activeDeadlineSeconds": -1}),
        f"{JOB_INVALID}spec.activeDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0",
    ),
    (
        "negative ttlSecondsAfterFinished",
        job({"spec.ttlSecondsAfterFinished": -1}),
        f"{JOB_INVALID}spec.ttlSecondsAfterFinished: Invalid value: -1: must be greater than or equal to 0",
    ),
    (
        "Indexed without completions",
        job({"spec.completionMode": "Indexed", "spec.parallelism": 2}),
        f"{JOB_INVALID}spec.completions: Required value: when completion mode is Indexed",
    ),
    (
        "backoffLimitPerIndex on a NonIndexed job",
        job({"spec.backoffLimitPerIndex": 1}),
        f"{JOB_INVALID}spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode",
    ),
    (
        "maxFailedIndexes without backoffLimitPerIndex",
        job({"spec.completionMode": "Indexed", "spec.completions": 3, "spec.maxFailedIndexes": 1}),
        f"{JOB_INVALID}spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified",
    ),
    (
        "podFailurePolicy with OnFailure",
        job({
            "spec.template.spec.restartPolicy": "OnFailure",
            "spec.podFailurePolicy": {"rules": [{"action": "FailJob", "onExitCodes": {"operator": "In", "values": [42]}}]},
        }),
        f'{JOB_INVALID}spec.template.spec.restartPolicy: Invalid value: "OnFailure": '
        'only "Never" is supported when podFailurePolicy is specified',
    ),
    (
        "podFailurePolicy unknown action",
        job({"spec.podFailurePolicy": {"rules": [{"action": "Explode", "onExitCodes": {"operator": "In", "values": [1]}}]}}),
        f'{JOB_INVALID}spec.podFailurePolicy.rules[0].action: Unsupported value: "Explode": '
        'supported values: "Count", "FailIndex", "FailJob", "Ignore"',
    ),
    (
        "podFailurePolicy rule without a requirement",
        job({"spec.podFailurePolicy": {"rules": [{"action": "Ignore"}]}}),
        f"{JOB_INVALID}spec.podFailurePolicy.rules[0]: Invalid value: "
        "specifying one of OnExitCodes and OnPodConditions is required",
    ),
    (
        "podFailurePolicy exit code 0 with In",
        job({"spec.podFailurePolicy": {"rules": [{"action": "Count", "onExitCodes": {"operator": "In", "values": [0, 1]}}]}}),
        f"{JOB_INVALID}spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator",
    ),
    (
        "podFailurePolicy exit codes malformed",
        job({"spec.podFailurePolicy": {"rules": [{"action": "Count", "onExitCodes": {"operator": "Is", "values": [3, 1, 1]}}]}}),
        f"{JOB_INVALID}[spec.podFailurePolicy.rules[0].onExitCodes.operator: Unsupported value: \"Is\": "
        'supported values: "In", "NotIn", spec.podFailurePolicy.rules[0].onExitCodes.values[2]: Duplicate value: 1, '
        "spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32{3, 1, 1}: must be ordered]",
    ),
    (
        "successPolicy on a NonIndexed job",
        job({"spec.successPolicy": {"rules": [{"succeededCount": 1}]}}),
        f'{JOB_INVALID}spec.successPolicy: Invalid value: {{"rules":[{{"succeededCount":1}}]}}: requires indexed completion mode',
    ),
    (
        "successPolicy index out of range",
        job({
            "spec.completionMode": "Indexed",
            "spec.completions": 3,
            "spec.successPolicy": {"rules": [{"succeededIndexes": "0-5"}]},
        }),
        f'{JOB_INVALID}spec.successPolicy.rules[0].succeededIndexes: Invalid value: "0-5": '
        'error parsing succeededIndexes: too large index: "5"',
    ),
    (
        "user selector without manualSelector",
        job({"spec.selector": {"matchLabels": {"app": "x"}}, "spec.template.metadata.labels": {"app": "x"}}),
        f'{JOB_INVALID}spec.selector: Invalid value: v1.LabelSelector{{MatchLabels:map[string]string{{"app":"x", '
        f'"batch.kubernetes.io/controller-uid":"{JOB_UID}"}}, {NIL_EXPRESSIONS}}}: `selector` not auto-generated',
    ),
    (
        "generated label overridden",
        job({"spec.template.metadata.labels": {"job-name": "other"}}),
        f"{JOB_INVALID}spec.template.metadata.labels[job-name]: Invalid value: "
        'map[string]string{"batch.kubernetes.io/controller-uid":"uid-1", "batch.kubernetes.io/job-name":"hello-world", '
        "\"controller-uid\":\"uid-1\", \"job-name\":\"other\"}: must be 'hello-world'",
    ),
    (
        "job without uid cannot get a selector",
        job({"metadata.uid": DELETE}),
        f"{JOB_INVALID}[spec.selector: Required value, spec.template.metadata.labels: Invalid value: "
        "map[string]string(nil): `selector` does not match template `labels`]",
    ),
    (
        "Indexed job name too long for pod hostnames",
        job({"metadata.name": "j" * 62, "spec.completionMode": "Indexed", "spec.completions": 10}),
        f'The Job "{"j" * 62}" is invalid: metadata.name: Invalid value: "{"j" * 62}": '
        f"will not able to create pod with invalid DNS label: {'j' * 62}-9",
    ),
    # CronJob
    (
        "cronjob without schedule",
        cronjob({"spec.schedule": DELETE}),
        f"{CJ_INVALID}spec.schedule: Required value",
    ),
    (
        "cronjob name over 52 characters",
        cronjob({"metadata.name": "c" * 53}),
        f'The CronJob "{"c" * 53}" is invalid: metadata.name: Invalid value: "{"c" * 53}": must be no more than 52 characters',
    ),
    (
        "cronjob unknown time zone",
        cronjob({"spec.timeZone": "Europe/Pariss"}),
        f'{CJ_INVALID}spec.timeZone: Invalid value: "Europe/Pariss": unknown time zone Europe/Pariss',
    ),
    (
        "cronjob Local time zone",
        cronjob({"spec.timeZone": "Local"}),
        f'{CJ_INVALID}spec.timeZone: Invalid value: "Local": '
        "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones",
    ),
    (
        "cronjob empty time zone",
        cronjob({"spec.timeZone": ""}),
        f'{CJ_INVALID}spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string',
    ),
    (
        "cronjob unknown concurrencyPolicy",
        cronjob({"spec.concurrencyPolicy": "Sometimes"}),
        f'{CJ_INVALID}spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
    ),
    (
        "cronjob job template without restartPolicy",
        cronjob({"spec.jobTemplate.spec.template.spec.restartPolicy": DELETE}),
        f'{CJ_INVALID}spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    ),
    (
        "cronjob job template negative parallelism",
        cronjob({"spec.jobTemplate.spec.parallelism": -1}),
        f"{CJ_INVALID}spec.jobTemplate.spec.parallelism: Invalid value: -1: must be greater than or equal to 0",
    ),
    (
        "cronjob job template with a selector",
        cronjob({"spec.jobTemplate.spec.selector": {"matchLabels": {"a": "b"}}}),
        f'{CJ_INVALID}spec.jobTemplate.spec.selector: Invalid value: v1.LabelSelector{{MatchLabels:map[string]string{{"a":"b"}}, '
        f"{NIL_EXPRESSIONS}}}: `selector` will be auto-generated",
    ),
    # Pod, Node, Namespace
    (
        "pod without containers",
        pod({"spec.containers": DELETE}),
        'The Pod "p" is invalid: spec.containers: Required value',
    ),
    (
        "pod with unknown restartPolicy",
        pod({"spec.restartPolicy": "Sometimes"}),
        'The Pod "p" is invalid: spec.restartPolicy: Unsupported value: "Sometimes": '
        'supported values: "Always", "OnFailure", "Never"',
    ),
    (
        "pod with a bad nodeName",
        pod({"spec.nodeName": "Node_1"}),
        f'The Pod "p" is invalid: spec.nodeName: Invalid value: "Node_1": {SUBDOMAIN_MSG}',
    ),
    (
        "node with a bad name",
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "Node_1"}},
        f'The Node "Node_1" is invalid: metadata.name: Invalid value: "Node_1": {SUBDOMAIN_MSG}',
    ),
    (
        "node taint with unknown effect",
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"}, "spec": {"taints": [{"key": "k", "effect": "Off"}]}},
        'The Node "n" is invalid: spec.taints[0].effect: Unsupported value: "Off": '
        'supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
    ),
    (
        "namespace name with a dot",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team.a"}},
        'The Namespace "team.a" is invalid: metadata.name: Invalid value: "team.a": must not contain dots',
    ),
]


@pytest.mark.parametrize(("obj", "message"), [c[1:] for c in CREATE_CASES], ids=[c[0] for c in CREATE_CASES])
def test_invalid_on_create(obj, message):
    assert rejection(obj) == message


@pytest.mark.parametrize(
    "obj",
    [
        daemonset({"metadata.name": DELETE, "metadata.generateName": "logs-"}),
        daemonset({"spec.selector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["my-first-daemonset"]}]}}),
        daemonset({"spec.updateStrategy.rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}}),
        job({
            "spec.completionMode": "Indexed",
            "spec.completions": 3,
            "spec.backoffLimitPerIndex": 1,
            "spec.maxFailedIndexes": 1,
        }),
        job({
            "spec.manualSelector": True,
            "spec.selector": {"matchLabels": {"app": "x"}},
            "spec.template.metadata.labels": {"app": "x"},
        }),
        job({
            "spec.completionMode": "Indexed",
            "spec.completions": 5,
            "spec.successPolicy": {"rules": [{"succeededIndexes": "0,2-4", "succeededCount": 2}]},
        }),
        cronjob({"spec.timeZone": "Europe/Paris"}),
        pod({"spec.tolerations": [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists"}]}),
    ],
    ids=[
        "generateName instead of name",
        "selector by expression",
        "surge instead of unavailability",
        "per-index backoff",
        "manual selector",
        "success policy",
        "cronjob time zone",
        "toleration",
    ],
)
def test_valid_variants(obj):
    assert validate(prepare(obj)) == []


def test_several_errors_are_aggregated_and_deduplicated():
    errors = [FieldError(ErrorType.REQUIRED, field) for field in ("spec.a", "spec.a", "spec.b")]
    message = 'The DaemonSet "x" is invalid: [spec.a: Required value, spec.b: Required value]'
    assert str(InvalidError("DaemonSet", "x", errors)) == message


def test_invalid_error_status():
    obj = daemonset({"spec.template.spec.restartPolicy": "Never", "spec.minReadySeconds": -1})
    with pytest.raises(InvalidError) as caught:
        prepare(obj)
    assert caught.value.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'DaemonSet.apps "my-first-daemonset" is invalid: [spec.template.spec.restartPolicy: Unsupported value: '
        '"Never": supported values: "Always", spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0]',
        "reason": "Invalid",
        "details": {
            "name": "my-first-daemonset",
            "group": "apps",
            "kind": "DaemonSet",
            "causes": [
                {
                    "reason": "FieldValueNotSupported",
                    "message": 'Unsupported value: "Never": supported values: "Always"',
                    "field": "spec.template.spec.restartPolicy",
                },
                {
                    "reason": "FieldValueInvalid",
                    "message": "Invalid value: -1: must be greater than or equal to 0",
                    "field": "spec.minReadySeconds",
                },
            ],
        },
        "code": 422,
    }


def test_core_kinds_have_no_group_in_status():
    with pytest.raises(InvalidError) as caught:
        prepare(pod({"metadata.name": DELETE}))
    status = caught.value.status()
    assert status["message"] == 'Pod "" is invalid: metadata.name: Required value: name or generateName is required'
    assert status["details"] == {
        "name": "",
        "kind": "Pod",
        "causes": [
            {
                "reason": "FieldValueRequired",
                "message": "Required value: name or generateName is required",
                "field": "metadata.name",
            }
        ],
    }


@pytest.mark.parametrize(
    ("error", "text", "reason"),
    [
        (
            FieldError(ErrorType.INVALID, "spec.template.metadata.labels", {"app": "y"}, "`selector` does not match"),
            'spec.template.metadata.labels: Invalid value: map[string]string{"app":"y"}: `selector` does not match',
            "FieldValueInvalid",
        ),
        (
            FieldError(ErrorType.INVALID, "spec.parallelism", -1, "must be greater than or equal to 0"),
            "spec.parallelism: Invalid value: -1: must be greater than or equal to 0",
            "FieldValueInvalid",
        ),
        (
            FieldError(ErrorType.FORBIDDEN, "spec.x", "ignored", "not allowed"),
            "spec.x: Forbidden: not allowed",
            "FieldValueForbidden",
        ),
        (
            FieldError(ErrorType.DUPLICATE, "spec.containers[1].name", "web"),
            'spec.containers[1].name: Duplicate value: "web"',
            "FieldValueDuplicate",
        ),
        (
            FieldError(ErrorType.TOO_MANY, "spec.rules", 21, "must have at most 20 items"),
            "spec.rules: Too many: 21: must have at most 20 items",
            "FieldValueTooMany",
        ),
    ],
    ids=["string map", "int", "forbidden hides value", "duplicate", "too many"],
)
def test_field_error_rendering(error, text, reason):
    assert (str(error), error.reason) == (text, reason)


# --- CronJob schedules -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "expression"),
    [
        ("*/5 * * * *", "*/5 * * * *"),
        ("@hourly", "0 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("0 9 * * MON-FRI", "0 9 * * 1-5"),
        ("30 6 1 jan,jul ?", "30 6 1 1,7 *"),
        ("5/15 * * * *", "5-59/15 * * * *"),
    ],
)
def test_valid_schedules(schedule, expression):
    assert parse_schedule(schedule) == expression
    assert validate(prepare(cronjob({"spec.schedule": schedule}))) == []


@pytest.mark.parametrize(
    ("schedule", "error"),
    [
        ("61 * * * *", "end of range (61) above maximum (59): 61"),
        ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
        ("0 0 * * 7", "end of range (7) above maximum (6): 7"),
        ("0 0 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
        ("x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'),
        ("@every 5m", "unrecognized descriptor: @every 5m"),
        (", * * * *", "unsupported schedule: , * * * *"),  # robfig/cron accepts it; croniter cannot run it
    ],
)
def test_invalid_schedules(schedule, error):
    assert rejection(cronjob({"spec.schedule": schedule})) == f'{CJ_INVALID}spec.schedule: Invalid value: "{schedule}": {error}'


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (
            "TZ=Europe/Paris 0 * * * *",
            f'{CJ_INVALID}spec.schedule: Invalid value: "TZ=Europe/Paris 0 * * * *": '
            "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
        ),
        (
            "CRON_TZ=Mars/Base 0 * * * *",
            f'{CJ_INVALID}[spec.schedule: Invalid value: "CRON_TZ=Mars/Base 0 * * * *": provided bad location Mars/Base: '
            'unknown time zone Mars/Base, spec.schedule: Invalid value: "CRON_TZ=Mars/Base 0 * * * *": '
            "cannot use TZ or CRON_TZ in schedule, use timeZone field instead]",
        ),
    ],
    ids=["TZ prefix", "CRON_TZ with unknown zone"],
)
def test_time_zone_in_schedule_is_rejected_on_create(schedule, message):
    assert rejection(cronjob({"spec.schedule": schedule})) == message


def test_time_zone_in_schedule_is_kept_on_update_when_already_there():
    old = apply_defaults(cronjob({"spec.schedule": "TZ=UTC 0 * * * *"}))  # stored by an older server
    new = edited(old, {"spec.schedule": "TZ=UTC 30 * * * *", "spec.suspend": True})
    assert validate(apply_defaults(new, create=False), old) == []


# --- validation on update --------------------------------------------------------------------
# Updates start from the stored (defaulted) object, as kubectl apply/replace and controllers do.


def stored_job(changes: dict[str, Any] | None = None) -> dict:
    return prepare(job(changes))


STORED_DS = prepare(daemonset())
STORED_JOB = stored_job()
STORED_INDEXED_JOB = stored_job({"spec.completionMode": "Indexed", "spec.completions": 3, "spec.parallelism": 3})

UPDATE_CASES = [
    (
        "daemonset selector changed",
        STORED_DS,
        {"spec.selector.matchLabels": {"app": "other"}, "spec.template.metadata.labels": {"app": "other"}},
        f'{DS_INVALID}spec.selector: Invalid value: v1.LabelSelector{{MatchLabels:map[string]string{{"app":"other"}}, '
        f"{NIL_EXPRESSIONS}}}: field is immutable",
    ),
    (
        "job selector changed",
        STORED_JOB,
        {"spec.selector.matchLabels": {"controller-uid": JOB_UID}},
        f'{JOB_INVALID}spec.selector: Invalid value: v1.LabelSelector{{MatchLabels:map[string]string{{"controller-uid":"{JOB_UID}"}}, '
        f"{NIL_EXPRESSIONS}}}: field is immutable",
    ),
    (
        "job completions changed",
        STORED_JOB,
        {"spec.completions": 5},
        f"{JOB_INVALID}spec.completions: Invalid value: 5: field is immutable",
    ),
    (
        "indexed job completions changed alone",
        STORED_INDEXED_JOB,
        {"spec.completions": 5},
        f"{JOB_INVALID}spec.completions: Invalid value: 5: can only be modified in tandem with spec.parallelism",
    ),
    (
        "job completionMode changed",
        STORED_JOB,
        {"spec.completionMode": "Indexed"},
        f'{JOB_INVALID}spec.completionMode: Invalid value: "Indexed": field is immutable',
    ),
    (
        "cronjob renamed",
        prepare(cronjob()),
        {"metadata.name": "other"},
        'The CronJob "other" is invalid: metadata.name: Invalid value: "other": field is immutable',
    ),
]


@pytest.mark.parametrize(("old", "changes", "message"), [c[1:] for c in UPDATE_CASES], ids=[c[0] for c in UPDATE_CASES])
def test_invalid_on_update(old, changes, message):
    assert rejection(edited(old, changes), old) == message


def test_job_template_is_immutable():
    message = rejection(edited(STORED_JOB, {"spec.template.spec.containers[0].image": "redis:7"}), STORED_JOB)
    assert message.startswith(f"{JOB_INVALID}spec.template: Invalid value: {{")
    assert '"image":"redis:7"' in message
    assert message.endswith("}: field is immutable")


@pytest.mark.parametrize(
    ("old", "changes"),
    [
        (STORED_JOB, {"spec.parallelism": 3}),
        (STORED_JOB, {"spec.suspend": True}),
        (STORED_JOB, {"spec.activeDeadlineSeconds": 600}),
        (STORED_JOB, {"spec.backoffLimit": 10}),
        (STORED_JOB, {"spec.ttlSecondsAfterFinished": 60}),
        (STORED_INDEXED_JOB, {"spec.completions": 5, "spec.parallelism": 5}),
        (stored_job({"spec.suspend": True}), {"spec.template.spec.nodeSelector": {"disk": "ssd"}}),
    ],
    ids=[
        "parallelism",
        "suspend",
        "activeDeadlineSeconds",
        "backoffLimit",
        "ttl",
        "elastic indexed job",
        "suspended job scheduling",
    ],
)
def test_mutable_job_fields(old, changes):
    assert validate(apply_defaults(edited(old, changes), create=False), old) == []


def test_replacing_a_job_with_its_manifest_fails_as_upstream():
    """No selector is generated on update, so `kubectl replace -f job.yaml` is rejected."""
    errors = validate(apply_defaults(job(), create=False), STORED_JOB)
    assert [(e.field, e.type) for e in errors] == [
        ("spec.selector", ErrorType.REQUIRED),
        ("spec.template.metadata.labels", ErrorType.INVALID),
        ("spec.selector", ErrorType.INVALID),
        ("spec.template", ErrorType.INVALID),
    ]
    assert str(errors[2]) == "spec.selector: Invalid value: null: field is immutable"


def test_started_job_cannot_change_scheduling_directives():
    message = rejection(edited(STORED_JOB, {"spec.template.spec.nodeSelector": {"disk": "ssd"}}), STORED_JOB)
    assert message.startswith(f"{JOB_INVALID}spec.template: Invalid value: {{")
    assert message.endswith("}: field is immutable")


def test_daemonset_template_may_change():
    new = edited(STORED_DS, {"spec.template.spec.containers[0].image": "nginx:1.27"})
    assert validate(apply_defaults(new), STORED_DS) == []


def test_unknown_fields_are_named_by_their_paths_in_document_order():
    from cluster.manifests.schema import unknown_fields

    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "labels": {"any-key": "v"}, "colour": 1},
           "spec": {"backofLimit": 1, "template": {"spec": {
               "nodeSelector": {"disk": "ssd"},
               "containers": [{"name": "c", "image": "busybox", "comand": ["true"],
                               "resources": {"requests": {"cpu": "1"}, "limts": {}}}]}}}}
    assert [path for path, _ in unknown_fields(job)] == [
        "metadata.colour", "spec.backofLimit", "spec.template.spec.containers[0].comand",
        "spec.template.spec.containers[0].resources.limts"]
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "d"},
          "spec": {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
                   "selector": {"matchLabels": {"a": "b"}},
                   "template": {"metadata": {"labels": {"a": "b"}}, "spec": {
                       "tolerations": [{"operator": "Exists"}],
                       "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                           "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n"]}]}]}}},
                       "containers": [{"name": "c", "image": "i"}]}}},
          "status": {"numberReady": 0}}
    assert unknown_fields(ds) == []


def test_field_validation_modes_refuse_or_drop_unknown_fields():
    from cluster.manifests import ManifestError, field_validation, prepare

    def pod():
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                "spec": {"containers": [{"name": "c", "image": "busybox", "imagePullPolicey": "Always"}]}}

    with pytest.raises(ManifestError) as refused:
        prepare(pod())                              # strict unless told otherwise, as kubectl asks
    assert str(refused.value) == ('Pod in version "v1" cannot be handled as a Pod: strict decoding error: '
                                  'unknown field "spec.containers[0].imagePullPolicey"')
    with field_validation("Warn") as warnings:
        warned = prepare(pod())
    assert warnings == ['unknown field "spec.containers[0].imagePullPolicey"']
    assert "imagePullPolicey" not in warned["spec"]["containers"][0]
    with field_validation("Ignore") as warnings:
        ignored = prepare(pod())
    assert warnings == [] and ignored == warned
