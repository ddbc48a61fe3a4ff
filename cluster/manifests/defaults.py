"""API-server defaulting (`pkg/apis/*/v1/defaults.go` plus the create-time registry steps).

`apply_defaults` returns a defaulted deep copy. Besides the versioned defaulters it does what
the registry does on create and what clients depend on: the Job selector and pod labels
(on create, needs `metadata.uid`), the DaemonSet template generation annotation and status counters,
a Pending Pod phase, an Active Namespace.
"""
from __future__ import annotations

import copy
from typing import Any, Callable

from .access import (
    decoding,
    ensure_map,
    get_map,
    get_maps,
    get_optional_map,
    get_str,
    get_string_map,
)
from .batch import CONTROLLER_UID_LABEL, JOB_NAME_LABEL, LEGACY_CONTROLLER_UID_LABEL, LEGACY_JOB_NAME_LABEL
from .kinds import kind_info

TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation"
MAX_INT32 = 2**31 - 1
DAEMONSET_STATUS_COUNTERS = ("currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady")


def apply_defaults(obj: dict, *, create: bool = True) -> dict:
    """A defaulted deep copy of `obj`; raises `ManifestError` for an unserved kind or bad field.

    With `create` (the default) a Job also gets its generated selector and pod labels, which
    the API server adds on create only (`prepare` passes `create=False` for updates)."""
    info = kind_info(obj)
    result = copy.deepcopy(obj)
    with decoding(info):
        _DEFAULTERS[info.kind](result)
        if create and info.kind == "Job":
            _generate_job_selector(result)
    return result


def _default(obj: dict, key: str, value: Any) -> None:
    """Set `key` when absent, null or "" (Go's zero value for strings and nil pointers)."""
    if obj.get(key) is None or obj.get(key) == "":
        obj[key] = value


def image_tag(image: str) -> str:
    """The tag imagePullPolicy defaulting looks at: explicit tag, "" for a digest, else "latest"."""
    if not image:
        return ""
    name, _, digest = image.partition("@")
    last_component = name.rpartition("/")[2]
    if ":" in last_component:
        return last_component.partition(":")[2]
    return "" if digest else "latest"


def _default_container(container: dict, path: str) -> None:
    if not get_str(container, "imagePullPolicy", path):
        tag = image_tag(get_str(container, "image", path))
        container["imagePullPolicy"] = "Always" if tag == "latest" else "IfNotPresent"
    _default(container, "terminationMessagePath", "/dev/termination-log")
    _default(container, "terminationMessagePolicy", "File")
    _default(container, "resources", {})
    for port in get_maps(container, "ports", path):
        _default(port, "protocol", "TCP")


def _default_pod_spec(spec: dict, path: str, *, restart_policy: bool = True) -> None:
    """`SetDefaults_PodSpec` and the container defaulters. Job templates keep an unset
    restartPolicy (upstream defaults it to Always, which Job validation then rejects the same way)."""
    if restart_policy:
        _default(spec, "restartPolicy", "Always")
    _default(spec, "dnsPolicy", "ClusterFirst")
    _default(spec, "schedulerName", "default-scheduler")
    _default(spec, "terminationGracePeriodSeconds", 30)
    _default(spec, "securityContext", {})
    for key in ("containers", "initContainers"):
        for i, container in enumerate(get_maps(spec, key, path)):
            _default_container(container, f"{path}.{key}[{i}]")


def _default_pod_template(owner_spec: dict, at: str, *, restart_policy: bool = True) -> None:
    """Default `<owner spec>.template.spec`; `at` is the owner spec's path."""
    template = ensure_map(owner_spec, "template", at)
    spec = ensure_map(template, "spec", f"{at}.template")
    _default_pod_spec(spec, f"{at}.template.spec", restart_policy=restart_policy)


def _default_daemonset(ds: dict) -> None:
    spec = ensure_map(ds, "spec", "")
    strategy = ensure_map(spec, "updateStrategy", "spec")
    _default(strategy, "type", "RollingUpdate")
    if get_str(strategy, "type", "spec.updateStrategy") == "RollingUpdate":
        rolling = ensure_map(strategy, "rollingUpdate", "spec.updateStrategy")
        _default(rolling, "maxUnavailable", 1)
        _default(rolling, "maxSurge", 0)
    _default(spec, "revisionHistoryLimit", 10)
    _default_pod_template(spec, "spec")
    annotations = ensure_map(ensure_map(ds, "metadata", ""), "annotations", "metadata")
    annotations.setdefault(TEMPLATE_GENERATION_ANNOTATION, "1")
    status = ensure_map(ds, "status", "")
    for counter in DAEMONSET_STATUS_COUNTERS:
        status.setdefault(counter, 0)


def next_template_generation(new: dict, old: dict) -> dict:
    """A copy of DaemonSet `new` (replacing `old`) carrying the template generation the API server
    keeps in its annotation: old's, plus one when `spec.template` changed. Pass defaulted objects."""
    old_annotations = (old.get("metadata") or {}).get("annotations") or {}
    old_value = str(old_annotations.get(TEMPLATE_GENERATION_ANNOTATION, "1"))
    generation = int(old_value) if old_value.isdigit() else 1
    if (new.get("spec") or {}).get("template") != (old.get("spec") or {}).get("template"):
        generation += 1
    result = copy.deepcopy(new)
    result.setdefault("metadata", {}).setdefault("annotations", {})[TEMPLATE_GENERATION_ANNOTATION] = str(generation)
    return result


def _default_job(job: dict) -> None:
    ensure_map(job, "metadata", "")
    spec = ensure_map(job, "spec", "")
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    _default(spec, "parallelism", 1)
    _default(spec, "backoffLimit", MAX_INT32 if spec.get("backoffLimitPerIndex") is not None else 6)
    _default(spec, "completionMode", "NonIndexed")
    _default(spec, "suspend", False)
    failure_policy = get_optional_map(spec, "podFailurePolicy", "spec")
    for i, rule in enumerate(get_maps(failure_policy or {}, "rules", "spec.podFailurePolicy")):
        for pattern in get_maps(rule, "onPodConditions", f"spec.podFailurePolicy.rules[{i}]"):
            _default(pattern, "status", "True")
    _default(spec, "podReplacementPolicy", "Failed" if failure_policy is not None else "TerminatingOrFailed")
    _default_pod_template(spec, "spec", restart_policy=False)
    _default_job_labels(job)


def _default_job_labels(job: dict) -> None:
    """A Job without labels takes its pod template's labels."""
    meta, template = job["metadata"], job["spec"]["template"]
    template_meta = get_map(template, "metadata", "spec.template")
    template_labels = get_string_map(template_meta, "labels", "spec.template.metadata")
    if template_labels is not None and not meta.get("labels"):
        meta["labels"] = dict(template_labels)


def _generate_job_selector(job: dict) -> None:
    """The registry's `generateSelector` on create: label the pod template with the Job's name
    and uid and select on the uid, unless the selector is manual or there is no uid yet.
    Labels the user already set are kept (validation judges them)."""
    meta, spec = job["metadata"], job["spec"]
    uid = get_str(meta, "uid", "metadata")
    if spec.get("manualSelector") or not uid:
        return
    name = get_str(meta, "name", "metadata")
    template_meta = ensure_map(spec["template"], "metadata", "spec.template")
    labels = get_string_map(template_meta, "labels", "spec.template.metadata") or {}
    for key, value in (
        (LEGACY_JOB_NAME_LABEL, name),
        (JOB_NAME_LABEL, name),
        (LEGACY_CONTROLLER_UID_LABEL, uid),
        (CONTROLLER_UID_LABEL, uid),
    ):
        labels.setdefault(key, value)
    template_meta["labels"] = labels
    selector = ensure_map(spec, "selector", "spec")
    ensure_map(selector, "matchLabels", "spec.selector").setdefault(CONTROLLER_UID_LABEL, uid)
    _default_job_labels(job)


def _default_cronjob(cronjob: dict) -> None:
    spec = ensure_map(cronjob, "spec", "")
    _default(spec, "concurrencyPolicy", "Allow")
    _default(spec, "suspend", False)
    _default(spec, "successfulJobsHistoryLimit", 3)
    _default(spec, "failedJobsHistoryLimit", 1)
    job_template = ensure_map(spec, "jobTemplate", "spec")
    job_spec = ensure_map(job_template, "spec", "spec.jobTemplate")
    _default_pod_template(job_spec, "spec.jobTemplate.spec", restart_policy=False)


def _default_pod(pod: dict) -> None:
    spec = ensure_map(pod, "spec", "")
    _default_pod_spec(spec, "spec")
    _default(spec, "enableServiceLinks", True)
    for key in ("containers", "initContainers"):
        for i, container in enumerate(get_maps(spec, key, "spec")):
            _default_requests_to_limits(container, f"spec.{key}[{i}]")
    _default(ensure_map(pod, "status", ""), "phase", "Pending")


def _default_requests_to_limits(container: dict, path: str) -> None:
    """`SetDefaults_Pod`: a resource with a limit but no request is requested at its limit."""
    resources = ensure_map(container, "resources", path)
    limits = get_map(resources, "limits", f"{path}.resources")
    if limits:
        requests = ensure_map(resources, "requests", f"{path}.resources")
        for name, quantity in limits.items():
            requests.setdefault(name, quantity)


def _default_node(node: dict) -> None:
    ensure_map(node, "spec", "")


def _default_namespace(namespace: dict) -> None:
    meta = ensure_map(namespace, "metadata", "")
    name = get_str(meta, "name", "metadata")
    if name:
        ensure_map(meta, "labels", "metadata")["kubernetes.io/metadata.name"] = name
    spec = ensure_map(namespace, "spec", "")
    if not spec.get("finalizers"):
        spec["finalizers"] = ["kubernetes"]
    _default(ensure_map(namespace, "status", ""), "phase", "Active")


def _no_defaults(obj: dict) -> None:
    """Events and ControllerRevisions are stored as given."""


_DEFAULTERS: dict[str, Callable[[dict], None]] = {
    "DaemonSet": _default_daemonset,
    "Job": _default_job,
    "CronJob": _default_cronjob,
    "Pod": _default_pod,
    "Node": _default_node,
    "Namespace": _default_namespace,
    "Event": _no_defaults,
    "ControllerRevision": _no_defaults,
}
