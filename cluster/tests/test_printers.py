"""Table printing: cells and `kubectl get` text, compared with real Kubernetes 1.32 output."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from cluster.printers import (
    COLUMNS,
    api_table,
    format_label_selector,
    format_table,
    human_duration,
    parse_time,
    TimeCell,
    row_cells,
    row_template,
    table_lines,
    translate_timestamp_since,
)

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


def ts(seconds_ago: float) -> str:
    """An RFC 3339 timestamp `seconds_ago` before NOW."""
    return (NOW - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(name: str, age: float = 60, **extra) -> dict:
    return {"name": name, "namespace": "default", "creationTimestamp": ts(age), **extra}


# --- human_duration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        pytest.param(timedelta(seconds=-2), "<invalid>", id="2s-in-future-invalid"),
        pytest.param(timedelta(seconds=-1.5), "0s", id="slightly-future-0s"),
        pytest.param(timedelta(0), "0s", id="0s"),
        pytest.param(timedelta(seconds=46), "46s", id="46s"),
        pytest.param(timedelta(seconds=119.9), "119s", id="119s-truncated"),
        pytest.param(timedelta(seconds=120), "2m", id="120s-is-2m"),
        pytest.param(timedelta(minutes=5, seconds=10), "5m10s", id="5m10s"),
        pytest.param(timedelta(minutes=9, seconds=59), "9m59s", id="9m59s"),
        pytest.param(timedelta(minutes=10), "10m", id="10m"),
        pytest.param(timedelta(minutes=45, seconds=30), "45m", id="45m-drops-seconds"),
        pytest.param(timedelta(minutes=179, seconds=59), "179m", id="179m"),
        pytest.param(timedelta(hours=3), "3h", id="3h"),
        pytest.param(timedelta(hours=5, minutes=12), "5h12m", id="5h12m"),
        pytest.param(timedelta(hours=7, minutes=59), "7h59m", id="7h59m"),
        pytest.param(timedelta(hours=8, minutes=30), "8h", id="8h-drops-minutes"),
        pytest.param(timedelta(hours=23), "23h", id="23h"),
        pytest.param(timedelta(hours=47, minutes=59), "47h", id="47h"),
        pytest.param(timedelta(hours=48), "2d", id="48h-is-2d"),
        pytest.param(timedelta(days=3, hours=4), "3d4h", id="3d4h"),
        pytest.param(timedelta(days=7, hours=23), "7d23h", id="7d23h"),
        pytest.param(timedelta(days=8, hours=5), "8d", id="8d-drops-hours"),
        pytest.param(timedelta(days=45), "45d", id="45d"),
        pytest.param(timedelta(days=400), "400d", id="400d"),
        pytest.param(timedelta(days=730), "2y", id="730d-is-2y"),
        pytest.param(timedelta(days=365 * 3 + 10), "3y10d", id="3y10d"),
        pytest.param(timedelta(days=365 * 8), "8y", id="8y"),
        pytest.param(timedelta(days=365 * 10 + 100), "10y", id="10y-drops-days"),
    ],
)
def test_human_duration(duration, expected):
    assert human_duration(duration) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, "<unknown>", id="none"),
        pytest.param("", "<unknown>", id="empty"),
        pytest.param("2026-01-01T11:59:14Z", "46s", id="zulu"),
        pytest.param("2026-01-01T13:59:14+02:00", "46s", id="offset"),
        pytest.param("2026-01-01T11:59:14.999999Z", "45s", id="micro-time"),
        pytest.param(datetime(2026, 1, 1, 11, 0, tzinfo=timezone.utc), "60m", id="datetime"),
    ],
)
def test_translate_timestamp_since(value, expected):
    assert translate_timestamp_since(value, NOW) == expected


def test_parse_time_treats_naive_datetimes_as_utc():
    assert parse_time(datetime(2026, 1, 1)) == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert parse_time("2026-01-01T02:00:00+02:00") == datetime(2026, 1, 1, tzinfo=timezone.utc)


# --- Pod -----------------------------------------------------------------------------------


def running(name="app", restarts=0, ready=True, last_finished=None) -> dict:
    status = {"name": name, "ready": ready, "restartCount": restarts, "state": {"running": {}}}
    if last_finished is not None:
        status["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ts(last_finished)}}
    return status


def waiting(reason, name="app", restarts=0, last_finished=None) -> dict:
    status = running(name, restarts, ready=False, last_finished=last_finished)
    status["state"] = {"waiting": {"reason": reason}}
    return status


def terminated(reason="", exit_code=0, signal=0, name="app") -> dict:
    state = {"exitCode": exit_code, "reason": reason, "signal": signal}
    return {"name": name, "ready": False, "restartCount": 0, "state": {"terminated": state}}


def pod(phase="Running", statuses=(), init_statuses=None, containers=1, init_containers=0,
        ready_condition="True", deleting=False, reason=None, **status_extra) -> dict:
    metadata = meta("web-1", age=46)
    if deleting:
        metadata["deletionTimestamp"] = ts(0)
    spec = {
        "nodeName": "node-1",
        "containers": [{"name": f"c{i}", "image": "nginx"} for i in range(containers)],
        "initContainers": [{"name": f"init{i}", "image": "busybox"} for i in range(init_containers)],
    }
    status = {
        "phase": phase,
        "conditions": [{"type": "Ready", "status": ready_condition}],
        "containerStatuses": list(statuses),
        **status_extra,
    }
    if init_statuses is not None:
        status["initContainerStatuses"] = init_statuses
    if reason:
        status["reason"] = reason
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": status}


@pytest.mark.parametrize(
    ("obj", "ready", "status", "restarts"),
    [
        pytest.param(pod("Pending", ready_condition="False"), "0/1", "Pending", "0", id="pending-unscheduled"),
        pytest.param(pod("Pending", [waiting("ContainerCreating")]), "0/1", "ContainerCreating", "0",
                     id="container-creating"),
        pytest.param(pod("Running", [running()]), "1/1", "Running", "0", id="running"),
        pytest.param(pod("Succeeded", [terminated("Completed")]), "0/1", "Completed", "0", id="completed"),
        pytest.param(pod("Failed", [terminated("Error", 1)]), "0/1", "Error", "0", id="error"),
        pytest.param(pod("Failed", [terminated("OOMKilled", 137)]), "0/1", "OOMKilled", "0", id="oom-killed"),
        pytest.param(pod("Failed", [terminated(exit_code=2)]), "0/1", "ExitCode:2", "0", id="exit-code"),
        pytest.param(pod("Failed", [terminated(exit_code=137, signal=9)]), "0/1", "Signal:9", "0", id="signal"),
        pytest.param(pod("Running", [waiting("CrashLoopBackOff", restarts=3, last_finished=42)]),
                     "0/1", "CrashLoopBackOff", "3 (42s ago)", id="crash-loop-back-off"),
        pytest.param(pod("Running", [running(restarts=2, last_finished=300), running("b", 1, last_finished=90)],
                         containers=2),
                     "2/2", "Running", "3 (90s ago)", id="restarts-summed-latest-finish"),
        pytest.param(pod("Running", [running(restarts=2)]), "1/1", "Running", "2", id="restarts-without-time"),
        pytest.param(pod("Running", [running(), terminated("Completed", name="b")], containers=2),
                     "1/2", "Running", "0", id="completed-with-running-sibling"),
        pytest.param(pod("Running", [running(), terminated("Completed", name="b")], containers=2,
                         ready_condition="False"),
                     "1/2", "NotReady", "0", id="completed-with-running-sibling-not-ready"),
        pytest.param(pod("Running", [running()], deleting=True), "1/1", "Terminating", "0", id="terminating"),
        pytest.param(pod("Succeeded", [terminated("Completed")], deleting=True), "0/1", "Completed", "0",
                     id="terminal-pod-being-deleted-keeps-status"),
        pytest.param(pod("Running", [running()], deleting=True, reason="NodeLost"), "1/1", "Unknown", "0",
                     id="node-lost"),
        pytest.param(pod("Failed", reason="Evicted", ready_condition="False"), "0/1", "Evicted", "0",
                     id="evicted"),
        pytest.param(pod("Pending", [waiting("PodInitializing")], init_containers=1,
                         init_statuses=[running("init0", ready=False)]),
                     "0/1", "Init:0/1", "0", id="init-running"),
        pytest.param(pod("Pending", [waiting("PodInitializing")], init_containers=2,
                         init_statuses=[terminated("Completed", name="init0"), running("init1", ready=False)]),
                     "0/1", "Init:1/2", "0", id="init-second-of-two"),
        pytest.param(pod("Pending", [waiting("PodInitializing")], init_containers=1,
                         init_statuses=[terminated("Error", 1, name="init0")]),
                     "0/1", "Init:Error", "0", id="init-error"),
        pytest.param(pod("Pending", [waiting("PodInitializing")], init_containers=1,
                         init_statuses=[waiting("CrashLoopBackOff", "init0", restarts=4, last_finished=20)]),
                     "0/1", "Init:CrashLoopBackOff", "4 (20s ago)", id="init-crash-loop-back-off"),
        pytest.param(pod("Pending", ready_condition="False",
                         conditions=[{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]),
                     "0/1", "SchedulingGated", "0", id="scheduling-gated"),
    ],
)
def test_pod_ready_status_restarts(obj, ready, status, restarts):
    assert row_cells(obj, NOW)[1:4] == [ready, status, restarts]


def test_pod_wide_cells():
    obj = pod("Running", [running()], podIP="10.244.1.5", nominatedNodeName="node-2")
    obj["spec"]["readinessGates"] = [{"conditionType": "example.com/lb"}, {"conditionType": "example.com/dns"}]
    obj["status"]["conditions"].append({"type": "example.com/lb", "status": "True"})

    assert row_cells(obj, NOW)[4:] == ["46s", "10.244.1.5", "node-1", "node-2", "1/2"]


def test_pod_wide_cells_default_to_none():
    obj = pod("Pending", ready_condition="False")
    del obj["spec"]["nodeName"]

    assert row_cells(obj, NOW)[5:] == ["<none>", "<none>", "<none>", "<none>"]


def test_pod_table_matches_kubectl():
    obj = pod("Running", [running()])
    obj["metadata"]["name"] = "my-first-daemonset-kg2z2"

    assert format_table([obj], NOW) == (
        "NAME                       READY   STATUS    RESTARTS   AGE\n"
        "my-first-daemonset-kg2z2   1/1     Running   0          46s\n"
    )


# --- Node ----------------------------------------------------------------------------------


def node(name="node-1", ready="True", unschedulable=False, labels=None, **node_info) -> dict:
    conditions = [{"type": "MemoryPressure", "status": "False"}]
    if ready is not None:
        conditions.append({"type": "Ready", "status": ready})
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "creationTimestamp": ts(3 * 86400 + 4 * 3600), "labels": labels or {}},
        "spec": {"unschedulable": unschedulable},
        "status": {
            "conditions": conditions,
            "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}, {"type": "Hostname", "address": name}],
            "nodeInfo": {"kubeletVersion": "v1.32.0", **node_info},
        },
    }


@pytest.mark.parametrize(
    ("obj", "status"),
    [
        pytest.param(node(ready="True"), "Ready", id="ready"),
        pytest.param(node(ready="False"), "NotReady", id="not-ready"),
        pytest.param(node(ready="Unknown"), "NotReady", id="ready-unknown-is-not-ready"),
        pytest.param(node(ready=None), "Unknown", id="no-ready-condition"),
        pytest.param(node(unschedulable=True), "Ready,SchedulingDisabled", id="cordoned"),
        pytest.param(node(ready="False", unschedulable=True), "NotReady,SchedulingDisabled", id="cordoned-not-ready"),
    ],
)
def test_node_status(obj, status):
    assert row_cells(obj, NOW)[1] == status


@pytest.mark.parametrize(
    ("labels", "roles"),
    [
        pytest.param({}, "<none>", id="no-roles"),
        pytest.param({"node-role.kubernetes.io/control-plane": ""}, "control-plane", id="control-plane"),
        pytest.param({"node-role.kubernetes.io/worker": "", "node-role.kubernetes.io/control-plane": "",
                      "node-role.kubernetes.io/": ""}, "control-plane,worker", id="sorted-and-empty-role-skipped"),
        pytest.param({"kubernetes.io/role": "master"}, "master", id="legacy-role-label"),
    ],
)
def test_node_roles(labels, roles):
    assert row_cells(node(labels=labels), NOW)[2] == roles


def test_node_row_with_wide_cells():
    obj = node(labels={"node-role.kubernetes.io/control-plane": ""}, osImage="Debian GNU/Linux 12 (bookworm)",
               containerRuntimeVersion="containerd://1.7.24")

    assert row_cells(obj, NOW) == [
        "node-1", "Ready", "control-plane", "3d4h", "v1.32.0",
        "172.18.0.2", "<none>", "Debian GNU/Linux 12 (bookworm)", "<unknown>", "containerd://1.7.24",
    ]


# --- DaemonSet -----------------------------------------------------------------------------


def daemonset(name="my-first-daemonset", age=51, node_selector=None, selector=None, **status) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": meta(name, age, labels={"app": name}),
        "spec": {
            "selector": selector if selector is not None else {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "nodeSelector": node_selector,
                    "containers": [
                        {"name": "nginx", "image": "nginx:1.27"},
                        {"name": "sidecar", "image": "busybox"},
                    ],
                },
            },
        },
        "status": status,
    }


SEED_DS = daemonset(desiredNumberScheduled=1, currentNumberScheduled=1, numberReady=1,
                    updatedNumberScheduled=1, numberAvailable=1)


def test_daemonset_table_matches_the_kubernetes_chapter():
    assert format_table([SEED_DS], NOW) == (
        "NAME                 DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR   AGE\n"
        "my-first-daemonset   1         1         1       1            1           <none>          51s\n"
    )


def test_daemonset_cells_default_missing_counters_and_sort_node_selector():
    obj = daemonset(node_selector={"zone": "a", "disk": "ssd"}, desiredNumberScheduled=3)

    assert row_cells(obj, NOW) == [
        "my-first-daemonset", 3, 0, 0, 0, 0, "disk=ssd,zone=a", "51s",
        "nginx,sidecar", "nginx:1.27,busybox", "app=my-first-daemonset",
    ]


def test_daemonset_wide_table():
    assert format_table([SEED_DS], NOW, wide=True) == (
        "NAME                 DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR   AGE"
        "   CONTAINERS      IMAGES               SELECTOR\n"
        "my-first-daemonset   1         1         1       1            1           <none>          51s"
        "   nginx,sidecar   nginx:1.27,busybox   app=my-first-daemonset\n"
    )


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        pytest.param(None, "<none>", id="nil"),
        pytest.param({}, "<none>", id="empty"),
        pytest.param({"matchLabels": {"tier": "web", "app": "x"}}, "app=x,tier=web", id="match-labels-sorted"),
        pytest.param({"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]}]},
                     "env in (dev,prod)", id="in-values-sorted"),
        pytest.param({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["test"]}]},
                     "env notin (test)", id="not-in"),
        pytest.param({"matchLabels": {"z": "1"}, "matchExpressions": [
                         {"key": "gpu", "operator": "Exists"}, {"key": "spot", "operator": "DoesNotExist"}]},
                     "gpu,!spot,z=1", id="exists-and-does-not-exist"),
        pytest.param({"matchExpressions": [{"key": "a", "operator": "Near"}]}, "<error>", id="bad-operator"),
    ],
)
def test_format_label_selector(selector, expected):
    assert format_label_selector(selector) == expected


# --- Job -----------------------------------------------------------------------------------


def job(completions=1, parallelism=1, succeeded=0, conditions=(), deleting=False,
        start=None, completion=None) -> dict:
    metadata = meta("pi", age=600)
    if deleting:
        metadata["deletionTimestamp"] = ts(0)
    status = {"succeeded": succeeded, "conditions": [{"type": t, "status": s} for t, s in conditions]}
    if start is not None:
        status["startTime"] = ts(start)
    if completion is not None:
        status["completionTime"] = ts(completion)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata,
        "spec": {
            "completions": completions,
            "parallelism": parallelism,
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "1234"}},
            "template": {"spec": {"containers": [{"name": "pi", "image": "perl:5.34.0"}]}},
        },
        "status": status,
    }


@pytest.mark.parametrize(
    ("obj", "completions"),
    [
        pytest.param(job(completions=3, succeeded=1), "1/3", id="completions-3-one-succeeded"),
        pytest.param(job(completions=None, parallelism=1), "0/1", id="no-completions-parallelism-1"),
        pytest.param(job(completions=None, parallelism=3), "0/1 of 3", id="no-completions-parallelism-3"),
        pytest.param(job(completions=None, parallelism=None), "0/1", id="no-completions-no-parallelism"),
    ],
)
def test_job_completions(obj, completions):
    assert row_cells(obj, NOW)[2] == completions


@pytest.mark.parametrize(
    ("obj", "status"),
    [
        pytest.param(job(), "Running", id="no-conditions"),
        pytest.param(job(conditions=[("SuccessCriteriaMet", "True")]), "Running", id="success-criteria-met-only"),
        pytest.param(job(conditions=[("FailureTarget", "True")]), "FailureTarget", id="failure-target"),
        pytest.param(job(conditions=[("Suspended", "True"), ("FailureTarget", "True")]), "Suspended",
                     id="suspended-before-failure-target"),
        pytest.param(job(conditions=[("Suspended", "False")]), "Running", id="suspended-false"),
        pytest.param(job(conditions=[("Suspended", "True")], deleting=True), "Terminating",
                     id="terminating-before-suspended"),
        pytest.param(job(conditions=[("Failed", "True")], deleting=True), "Failed", id="failed-before-terminating"),
        pytest.param(job(conditions=[("FailureTarget", "True"), ("Failed", "True"), ("Complete", "True")]),
                     "Complete", id="complete-first"),
    ],
)
def test_job_status(obj, status):
    assert row_cells(obj, NOW)[1] == status


@pytest.mark.parametrize(
    ("obj", "duration"),
    [
        pytest.param(job(), "", id="not-started"),
        pytest.param(job(start=65), "65s", id="running-since-start"),
        pytest.param(job(start=500, completion=400), "100s", id="completed"),
    ],
)
def test_job_duration(obj, duration):
    assert row_cells(obj, NOW)[3] == duration


def test_job_wide_table():
    obj = job(completions=1, succeeded=1, conditions=[("Complete", "True")], start=600, completion=595)

    assert format_table([obj], NOW, wide=True) == (
        "NAME   STATUS     COMPLETIONS   DURATION   AGE   CONTAINERS   IMAGES        SELECTOR\n"
        "pi     Complete   1/1           5s         10m   pi           perl:5.34.0   "
        "batch.kubernetes.io/controller-uid=1234\n"
    )


# --- CronJob -------------------------------------------------------------------------------


def cronjob(**spec) -> dict:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": meta("hello", age=3600),
        "spec": {
            "schedule": "*/1 * * * *",
            "jobTemplate": {
                "spec": {"template": {"spec": {"containers": [{"name": "hello", "image": "busybox:1.28"}]}}},
            },
            **spec,
        },
        "status": {},
    }


def test_cronjob_table():
    idle = cronjob(suspend=False)
    busy = cronjob(suspend=True, timeZone="Etc/UTC")
    busy["metadata"]["name"] = "busy"
    busy["status"] = {"active": [{"name": "busy-1"}, {"name": "busy-2"}], "lastScheduleTime": ts(42)}

    assert format_table([idle, busy], NOW) == (
        "NAME    SCHEDULE      TIMEZONE   SUSPEND   ACTIVE   LAST SCHEDULE   AGE\n"
        "hello   */1 * * * *   <none>     False     0        <none>          60m\n"
        "busy    */1 * * * *   Etc/UTC    True      2        42s             60m\n"
    )


def test_cronjob_wide_cells_come_from_the_job_template():
    assert row_cells(cronjob(), NOW)[7:] == ["hello", "busybox:1.28", "<none>"]


# --- Event ---------------------------------------------------------------------------------


def event(**fields) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": meta("fluentd.17f1a2b3c4d5e6f7", age=120),
        "involvedObject": {"kind": "DaemonSet", "name": "fluentd", "namespace": "default"},
        "reason": "SuccessfulCreate",
        "message": "Created pod: fluentd-kg2z2",
        "source": {"component": "daemonset-controller"},
        "type": "Normal",
        **fields,
    }


def test_event_row_with_all_cells():
    obj = event(firstTimestamp=ts(300), lastTimestamp=ts(20), count=3,
                source={"component": "kubelet", "host": "node-1"},
                involvedObject={"kind": "Pod", "name": "pi-5rwd7", "fieldPath": "spec.containers{pi}"},
                message="  Started container pi\n")

    assert row_cells(obj, NOW) == [
        "20s", "Normal", "SuccessfulCreate", "pod/pi-5rwd7", "spec.containers{pi}", "kubelet, node-1",
        "Started container pi", "5m", 3, "fluentd.17f1a2b3c4d5e6f7",
    ]


@pytest.mark.parametrize(
    ("obj", "last_seen", "first_seen", "count"),
    [
        pytest.param(event(firstTimestamp=ts(30)), "30s", "30s", 1, id="last-falls-back-to-first-count-1"),
        pytest.param(event(eventTime="2026-01-01T11:59:50.000000Z"), "10s", "10s", 1, id="event-time-only"),
        pytest.param(event(), "<unknown>", "<unknown>", 1, id="no-timestamps"),
        pytest.param(event(eventTime=ts(600), series={"count": 7, "lastObservedTime": ts(5)}), "5s", "10m", 7,
                     id="series"),
    ],
)
def test_event_times_and_count(obj, last_seen, first_seen, count):
    cells = row_cells(obj, NOW)
    assert (cells[0], cells[7], cells[8]) == (last_seen, first_seen, count)


def test_event_source_falls_back_to_reporting_controller():
    obj = event(source={}, reportingController="job-controller", reportingInstance="kcm-1")
    assert row_cells(obj, NOW)[5] == "job-controller, kcm-1"


def test_events_table():
    created = event(lastTimestamp=ts(51), firstTimestamp=ts(51), count=1)
    completed = event(lastTimestamp=ts(2), firstTimestamp=ts(2), count=1, reason="Completed",
                      involvedObject={"kind": "Job", "name": "pi"}, message="Job completed")

    assert format_table([created, completed], NOW) == (
        "LAST SEEN   TYPE     REASON             OBJECT              MESSAGE\n"
        "51s         Normal   SuccessfulCreate   daemonset/fluentd   Created pod: fluentd-kg2z2\n"
        "2s          Normal   Completed          job/pi              Job completed\n"
    )


# --- Namespace, ControllerRevision ---------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param({"phase": "Active"}, "Active", id="active"),
        pytest.param({"phase": "Terminating"}, "Terminating", id="terminating"),
        pytest.param({}, "Active", id="defaulted"),
    ],
)
def test_namespace_cells(status, expected):
    obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": meta("kube-system", age=7200), "status": status}
    assert row_cells(obj, NOW) == ["kube-system", expected, "120m"]


@pytest.mark.parametrize(
    ("owners", "controller"),
    [
        pytest.param([{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "fluentd", "controller": True}],
                     "daemonset.apps/fluentd", id="daemonset-controller"),
        pytest.param([{"apiVersion": "v1", "kind": "Pod", "name": "p", "controller": True}], "pod/p", id="core-group"),
        pytest.param([{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "fluentd"}], "<none>",
                     id="not-controller"),
        pytest.param([], "<none>", id="no-owner"),
    ],
)
def test_controller_revision_cells(owners, controller):
    obj = {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": meta("fluentd-7d4b9c8f6", age=90, ownerReferences=owners),
        "revision": 2,
    }
    assert row_cells(obj, NOW) == ["fluentd-7d4b9c8f6", controller, 2, "90s"]


# --- columns -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "default_headers", "wide_headers"),
    [
        pytest.param("Pod", ["Name", "Ready", "Status", "Restarts", "Age"],
                     ["IP", "Node", "Nominated Node", "Readiness Gates"], id="pod"),
        pytest.param("Node", ["Name", "Status", "Roles", "Age", "Version"],
                     ["Internal-IP", "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime"], id="node"),
        pytest.param("DaemonSet", ["Name", "Desired", "Current", "Ready", "Up-to-date", "Available",
                                   "Node Selector", "Age"], ["Containers", "Images", "Selector"], id="daemonset"),
        pytest.param("Job", ["Name", "Status", "Completions", "Duration", "Age"],
                     ["Containers", "Images", "Selector"], id="job"),
        pytest.param("CronJob", ["Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age"],
                     ["Containers", "Images", "Selector"], id="cronjob"),
        pytest.param("Event", ["Last Seen", "Type", "Reason", "Object", "Message"],
                     ["Subobject", "Source", "First Seen", "Count", "Name"], id="event"),
        pytest.param("Namespace", ["Name", "Status", "Age"], [], id="namespace"),
        pytest.param("ControllerRevision", ["Name", "Controller", "Revision", "Age"], [], id="controllerrevision"),
    ],
)
def test_columns_split_into_default_and_wide(kind, default_headers, wide_headers):
    assert [c.name for c in COLUMNS[kind] if c.priority == 0] == default_headers
    assert [c.name for c in COLUMNS[kind] if c.priority == 1] == wide_headers
    assert [c.name for c in COLUMNS[kind] if c.format == "name"] == ["Name"]


def test_daemonset_counters_are_integer_columns():
    types = {c.name: c.type for c in COLUMNS["DaemonSet"]}
    assert [types[n] for n in ("Desired", "Current", "Ready", "Up-to-date", "Available")] == ["integer"] * 5
    assert types["Node Selector"] == "string"


# --- format_table options ------------------------------------------------------------------


def labelled_pod(name: str, labels: dict, namespace="default") -> dict:
    obj = pod("Running", [running()])
    obj["metadata"].update(name=name, labels=labels, namespace=namespace)
    return obj


PODS = [
    labelled_pod("web-1", {"app": "web", "example.com/tier": "frontend"}),
    labelled_pod("db-1", {"app": "db"}, namespace="data"),
]


def test_show_namespace():
    assert format_table(PODS, NOW, show_namespace=True) == (
        "NAMESPACE   NAME    READY   STATUS    RESTARTS   AGE\n"
        "default     web-1   1/1     Running   0          46s\n"
        "data        db-1    1/1     Running   0          46s\n"
    )


def test_label_columns_use_the_last_key_segment_as_header():
    assert format_table(PODS, NOW, label_columns=["app", "example.com/tier"]) == (
        "NAME    READY   STATUS    RESTARTS   AGE   APP   TIER\n"
        "web-1   1/1     Running   0          46s   web   frontend\n"
        "db-1    1/1     Running   0          46s   db    \n"
    )


def test_show_labels_comes_after_label_columns():
    assert format_table(PODS, NOW, label_columns=["app"], show_labels=True) == (
        "NAME    READY   STATUS    RESTARTS   AGE   APP   LABELS\n"
        "web-1   1/1     Running   0          46s   web   app=web,example.com/tier=frontend\n"
        "db-1    1/1     Running   0          46s   db    app=db\n"
    )


def test_show_labels_none():
    assert format_table([labelled_pod("bare", {})], NOW, show_labels=True).splitlines()[1].endswith("46s   <none>")


@pytest.mark.parametrize(
    ("obj", "name"),
    [
        pytest.param(PODS[0], "pod/web-1", id="core"),
        pytest.param(SEED_DS, "daemonset.apps/my-first-daemonset", id="apps"),
        pytest.param(job(), "job.batch/pi", id="batch-job"),
        pytest.param(cronjob(), "cronjob.batch/hello", id="batch-cronjob"),
    ],
)
def test_show_kind_prefixes_names(obj, name):
    assert format_table([obj], NOW, show_kind=True, no_headers=True).split()[0] == name


def test_no_headers():
    assert format_table([PODS[1]], NOW, no_headers=True) == "db-1   1/1   Running   0     46s\n"


def test_no_objects_print_nothing():
    assert format_table([], NOW) == ""


def test_multiline_cells_are_cut_like_kubectl():
    obj = event(lastTimestamp=ts(5), message="Back-off pulling image\nsecond line")
    assert format_table([obj], NOW, no_headers=True).rstrip("\n").endswith("Back-off pulling image...")


@pytest.mark.parametrize(
    ("headers", "rows", "expected"),
    [
        pytest.param(["A", "B"], [["x", "y"]], "A     B\nx     y\n", id="min-width-6"),
        pytest.param(["REVISION", "CHANGE-CAUSE"], [[1, "<none>"], [2, "<none>"]],
                     "REVISION   CHANGE-CAUSE\n1          <none>\n2          <none>\n", id="rollout-history"),
        pytest.param(None, [["a", "b", "c"]], "a     b     c\n", id="rows-only"),
        pytest.param(["ONLY"], [["x"]], "ONLY\nx\n", id="single-column-unpadded"),
    ],
)
def test_table_lines(headers, rows, expected):
    assert table_lines(headers, rows) == expected


# --- api_table -----------------------------------------------------------------------------


def test_api_table_shape():
    table = api_table([SEED_DS], NOW)

    assert table["kind"] == "Table"
    assert table["apiVersion"] == "meta.k8s.io/v1"
    assert table["metadata"] == {}
    assert table["columnDefinitions"][0] == {
        "name": "Name", "type": "string", "format": "name",
        "description": COLUMNS["DaemonSet"][0].description, "priority": 0,
    }
    assert [(c["name"], c["type"], c["priority"]) for c in table["columnDefinitions"][1:3]] == [
        ("Desired", "integer", 0), ("Current", "integer", 0),
    ]
    assert table["rows"] == [{
        "cells": ["my-first-daemonset", 1, 1, 1, 1, 1, "<none>", "51s",
                  "nginx,sidecar", "nginx:1.27,busybox", "app=my-first-daemonset"],
        "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": SEED_DS["metadata"]},
    }]


@pytest.mark.parametrize(
    ("include_object", "expected_object"),
    [
        pytest.param("Object", SEED_DS, id="object"),
        pytest.param("None", None, id="none"),
    ],
)
def test_api_table_include_object(include_object, expected_object):
    row = api_table([SEED_DS], NOW, include_object=include_object)["rows"][0]
    assert row.get("object") == expected_object


# --- row templates: the cells that read the clock -------------------------------------------


def _time_columns(obj: dict) -> list[str]:
    return [COLUMNS[obj["kind"]][i].name for i, cell in enumerate(row_template(obj)) if type(cell) is TimeCell]


@pytest.mark.parametrize(
    ("obj", "columns"),
    [
        pytest.param(pod(statuses=[running()]), ["Age"], id="pod"),
        pytest.param(pod(statuses=[running(restarts=2, last_finished=90)]), ["Restarts", "Age"], id="pod-restarted"),
        pytest.param(pod(statuses=[running(restarts=2)]), ["Age"], id="pod-restarts-without-a-finish"),
        pytest.param(node(), ["Age"], id="node"),
        pytest.param(SEED_DS, ["Age"], id="daemonset"),
        pytest.param(job(), ["Age"], id="job-not-started"),
        pytest.param(job(start=65), ["Duration", "Age"], id="job-running"),
        pytest.param(job(start=500, completion=400), ["Age"], id="job-completed"),
        pytest.param(cronjob(), ["Age"], id="cronjob-never-scheduled"),
        pytest.param({**cronjob(), "status": {"lastScheduleTime": ts(42)}}, ["Last Schedule", "Age"], id="cronjob"),
        pytest.param(event(firstTimestamp=ts(300), lastTimestamp=ts(20)), ["Last Seen", "First Seen"], id="event"),
        pytest.param(event(), [], id="event-without-times"),  # both <unknown>: fixed
    ],
)
def test_row_template_leaves_only_the_clock_cells_open(obj, columns):
    assert _time_columns(obj) == columns
    for now in (NOW - timedelta(days=1), NOW, NOW + timedelta(minutes=7), NOW + timedelta(days=400)):
        finished = [cell.at(now) if type(cell) is TimeCell else cell for cell in row_template(obj)]
        assert finished == row_cells(obj, now)
        assert all(type(cell) is not TimeCell for cell in row_cells(obj, now))


def test_time_cells_of_equal_timestamps_are_equal():
    restarted = pod(statuses=[running(restarts=2, last_finished=90)])
    first, second = row_template(restarted), row_template(restarted)
    assert first[3] == second[3] == TimeCell(parse_time(ts(90)), "2 (", " ago)")
    assert hash(first[4]) == hash(second[4])
    assert first[3].at(NOW) == "2 (90s ago)" and first[3].at(NOW - timedelta(hours=1)) == "2 (<invalid> ago)"
