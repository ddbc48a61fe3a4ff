"""Pod spec and pod template validation (a subset of core's `ValidatePodSpec`).

Covered: containers and init containers (name, image, ports, pull and termination-message
policies, duplicates), restartPolicy, dnsPolicy, nodeSelector, nodeName,
activeDeadlineSeconds, hostname/subdomain and tolerations. Volumes, probes, resources,
security contexts and affinity are accepted as given.
"""
from __future__ import annotations

from .access import get_int, get_map, get_maps, get_str, get_string_map, get_strings
from .common import as_json, validate_labels, validate_annotations, validate_one_of, validate_taint_effect
from .errors import FieldError, duplicate, forbidden, invalid, required
from .names import (
    inclusive_range_error,
    is_dns1123_label,
    is_qualified_name,
    is_valid_label_value,
    is_valid_port_name,
    is_valid_port_num,
    name_is_dns_subdomain,
)

MAX_INT32 = 2**31 - 1
RESTART_POLICIES = ("Always", "OnFailure", "Never")
DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
TERMINATION_MESSAGE_POLICIES = ("File", "FallbackToLogsOnError")
PROTOCOLS = ("SCTP", "TCP", "UDP")


def validate_pod_template_spec(
    template: dict, path: str, *, restart_policy_optional: bool = False
) -> list[FieldError]:
    """`ValidatePodTemplateSpec`. Note upstream's paths: `<path>.labels`, not `.metadata.labels`."""
    meta = get_map(template, "metadata", path)
    errs = validate_labels(get_string_map(meta, "labels", f"{path}.metadata"), f"{path}.labels")
    errs += validate_annotations(
        get_string_map(meta, "annotations", f"{path}.metadata"), f"{path}.annotations"
    )
    spec = get_map(template, "spec", path)
    errs += validate_pod_spec(spec, f"{path}.spec", restart_policy_optional=restart_policy_optional)
    if get_maps(spec, "ephemeralContainers", f"{path}.spec"):
        errs.append(forbidden(f"{path}.spec.ephemeralContainers", "ephemeral containers not allowed in pod template"))
    return errs


def validate_pod_spec(spec: dict, path: str, *, restart_policy_optional: bool = False) -> list[FieldError]:
    """`restart_policy_optional`: Job templates leave restartPolicy to the Job's own check."""
    containers = get_maps(spec, "containers", path)
    errs = [required(f"{path}.containers")] if not containers else []
    names: set[str] = set()
    errs += _validate_containers(containers, f"{path}.containers", names)
    errs += _validate_containers(get_maps(spec, "initContainers", path), f"{path}.initContainers", names)

    restart_policy = get_str(spec, "restartPolicy", path)
    if restart_policy or not restart_policy_optional:
        errs += validate_one_of(restart_policy, f"{path}.restartPolicy", RESTART_POLICIES)
    errs += validate_one_of(get_str(spec, "dnsPolicy", path), f"{path}.dnsPolicy", DNS_POLICIES)
    errs += validate_labels(get_string_map(spec, "nodeSelector", path), f"{path}.nodeSelector")

    node_name = get_str(spec, "nodeName", path)
    if node_name:
        errs += [invalid(f"{path}.nodeName", node_name, m) for m in name_is_dns_subdomain(node_name, False)]
    deadline = get_int(spec, "activeDeadlineSeconds", path, "int64")
    if deadline is not None and not 1 <= deadline <= MAX_INT32:
        errs.append(invalid(f"{path}.activeDeadlineSeconds", deadline, inclusive_range_error(1, MAX_INT32)))
    for key in ("hostname", "subdomain"):
        value = get_str(spec, key, path)
        errs += [invalid(f"{path}.{key}", value, m) for m in (is_dns1123_label(value) if value else [])]
    errs += _validate_tolerations(get_maps(spec, "tolerations", path), f"{path}.tolerations")
    return errs


def _validate_containers(containers: list[dict], path: str, names: set[str]) -> list[FieldError]:
    """Each container; names must be unique across containers and init containers."""
    errs = []
    for i, container in enumerate(containers):
        item = f"{path}[{i}]"
        errs += _validate_container(container, item)
        name = get_str(container, "name", item)
        if name in names:
            errs.append(duplicate(f"{item}.name", name))
        else:
            names.add(name)
    return errs


def _validate_container(container: dict, path: str) -> list[FieldError]:
    name = get_str(container, "name", path)
    if name:
        errs = [invalid(f"{path}.name", name, m) for m in is_dns1123_label(name)]
    else:
        errs = [required(f"{path}.name")]
    if not get_str(container, "image", path):
        errs.append(required(f"{path}.image"))
    for key in ("command", "args"):  # read by the simulated kubelet: must decode as []string
        get_strings(container, key, path)
    errs += validate_one_of(
        get_str(container, "terminationMessagePolicy", path),
        f"{path}.terminationMessagePolicy",
        TERMINATION_MESSAGE_POLICIES,
        required_detail="must be 'File' or 'FallbackToLogsOnError'",
    )
    errs += _validate_ports(get_maps(container, "ports", path), f"{path}.ports")
    errs += validate_one_of(
        get_str(container, "imagePullPolicy", path), f"{path}.imagePullPolicy", PULL_POLICIES
    )
    return errs


def _validate_ports(ports: list[dict], path: str) -> list[FieldError]:
    errs = []
    names: set[str] = set()
    for i, port in enumerate(ports):
        item = f"{path}[{i}]"
        name = get_str(port, "name", item)
        name_problems = is_valid_port_name(name) if name else []
        errs += [invalid(f"{item}.name", name, m) for m in name_problems]
        if name and not name_problems:
            if name in names:
                errs.append(duplicate(f"{item}.name", name))
            names.add(name)
        container_port = get_int(port, "containerPort", item) or 0
        if container_port == 0:
            errs.append(required(f"{item}.containerPort"))
        errs += [invalid(f"{item}.containerPort", container_port, m) for m in _port_problems(container_port)]
        host_port = get_int(port, "hostPort", item) or 0
        errs += [invalid(f"{item}.hostPort", host_port, m) for m in _port_problems(host_port)]
        errs += validate_one_of(get_str(port, "protocol", item), f"{item}.protocol", PROTOCOLS)
    return errs


def _port_problems(port: int) -> list[str]:
    """Port numbers are checked only when set (0 means unset)."""
    return is_valid_port_num(port) if port else []


def _validate_tolerations(tolerations: list[dict], path: str) -> list[FieldError]:
    errs = []
    for i, toleration in enumerate(tolerations):
        item = f"{path}[{i}]"
        key, operator, value, effect = (
            get_str(toleration, k, item) for k in ("key", "operator", "value", "effect")
        )
        seconds = get_int(toleration, "tolerationSeconds", item, "int64")
        errs += [invalid(f"{item}.key", key, m) for m in (is_qualified_name(key) if key else [])]
        if not key and operator != "Exists":
            errs.append(invalid(
                f"{item}.operator", operator,
                'operator must be Exists when `key` is empty, which means "match all values and all keys"',
            ))
        if seconds is not None and effect != "NoExecute":
            detail = "effect must be 'NoExecute' when `tolerationSeconds` is set"
            errs.append(invalid(f"{item}.effect", effect, detail))
        errs += _validate_toleration_operator(toleration, operator, value, f"{item}.operator")
        if effect:
            errs += validate_taint_effect(effect, f"{item}.effect")
    return errs


def _validate_toleration_operator(toleration: dict, operator: str, value: str, path: str) -> list[FieldError]:
    if operator in ("Equal", ""):
        problems = is_valid_label_value(value)
        return [invalid(path, value, ";".join(problems))] if problems else []
    if operator == "Exists":
        detail = "value must be empty when `operator` is 'Exists'"
        return [invalid(path, as_json(toleration), detail)] if value else []
    return validate_one_of(operator, path, ("Equal", "Exists"))
