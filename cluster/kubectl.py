"""`python manage.py kubectl ...`: the kubectl verbs, against a simulated cluster's store.

Output and error texts are kubectl 1.32's. Each verb is a small function taking parsed
arguments and returning an exit code; writes go through `cluster.store`.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from typing import TextIO

import yaml

from cluster import describe, manifests, printers, store
from cluster.errors import ApiError, NotFound
from cluster.kinds import Resource, UnknownResource, resolve, resource_for, resource_for_manifest
from cluster.models import Cluster
from cluster.patching import LAST_APPLIED, three_way_patch
from cluster.selectors import field_matches, matches, parse_field_selector, parse_label_selector


class UsageError(Exception):
    """A kubectl-side error (printed as `error: ...`)."""


@dataclass
class Context:
    cluster: Cluster
    namespace: str
    all_namespaces: bool
    out: TextIO
    err: TextIO

    def print(self, text: str = "") -> None:
        self.out.write(text + ("" if text.endswith("\n") else "\n"))

    def error(self, text: str) -> None:
        self.err.write(text + ("" if text.endswith("\n") else "\n"))


# --- helpers -------------------------------------------------------------------------------


def read_manifest_file(path: str, stdin: TextIO) -> str:
    if path == "-":
        return stdin.read()
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except FileNotFoundError:
        raise UsageError(f'the path "{path}" does not exist') from None


def load_documents(paths: list[str], stdin: TextIO) -> list[tuple[str, dict]]:
    docs = []
    for path in paths:
        text = read_manifest_file(path, stdin)
        for doc in manifests.parse_documents(text, source=path):
            docs.append((path, doc))
    return docs


def kind_of(doc: dict) -> Resource:
    try:
        return resource_for_manifest(doc.get("apiVersion", ""), doc.get("kind", ""))
    except UnknownResource as exc:
        raise UsageError(str(exc)) from None


def object_ref(obj: dict) -> str:
    """`daemonset.apps/my-first-daemonset`"""
    return f"{resource_for(obj['kind']).kubectl_name}/{obj['metadata']['name']}"


def _namespace_for(ctx: Context, obj: dict, res: Resource) -> str:
    return (obj.get("metadata") or {}).get("namespace") or ctx.namespace if res.namespaced else ""


def list_objects(ctx: Context, res: Resource, *, selector: str | None = None, field_selector: str | None = None):
    model = store.model_for(res.kind)
    qs = model.objects.filter(cluster=ctx.cluster)
    if res.namespaced and not ctx.all_namespaces:
        qs = qs.filter(namespace=ctx.namespace)
    reqs = parse_label_selector(selector)
    fields = parse_field_selector(field_selector)
    objs = [o.to_dict() for o in qs.order_by("namespace", "name")]
    return [o for o in objs if matches(reqs, o["metadata"].get("labels")) and field_matches(fields, o)]


def parse_type_names(words: list[str]) -> list[tuple[Resource, list[str]]]:
    """`pods`, `pod x y`, `ds,pods`, `pod/x ds/y` -> [(resource, [names])]"""
    if not words:
        raise UsageError("You must specify the type of resource to get. ")
    try:
        if all("/" in w for w in words):
            pairs: list[tuple[Resource, list[str]]] = []
            for w in words:
                kind, name = w.split("/", 1)
                pairs.append((resolve(kind), [name]))
            return pairs
        return [(resolve(t), words[1:]) for t in words[0].split(",")]
    except UnknownResource as exc:
        raise UsageError(str(exc)) from None


def _no_resources(ctx: Context, res: Resource) -> str:
    if res.namespaced and not ctx.all_namespaces:
        return f"No resources found in {ctx.namespace} namespace."
    return "No resources found"


def dump(objs: list[dict], fmt: str, single: bool) -> str:
    if single and len(objs) == 1:
        data = objs[0]
    else:
        data = {"apiVersion": "v1", "items": objs, "kind": "List", "metadata": {"resourceVersion": ""}}
    if fmt == "json":
        return json.dumps(data, indent=4) + "\n"
    return yaml.safe_dump(data, sort_keys=True, default_flow_style=False)


# --- verbs ---------------------------------------------------------------------------------


def cmd_get(ctx: Context, args) -> int:
    pairs = parse_type_names(args.resources)
    now = store.now(ctx.cluster)
    multi = len(pairs) > 1
    all_objs: list[dict] = []
    printed = False
    code = 0
    for res, names in pairs:
        if names:
            objs = []
            for name in names:
                try:
                    ns = ctx.namespace if res.namespaced else ""
                    objs.append(store.get(ctx.cluster, res.kind, ns, name).to_dict())
                except NotFound as exc:
                    ctx.error(exc.kubectl_message())
                    code = 1
        else:
            objs = list_objects(ctx, res, selector=args.selector, field_selector=args.field_selector)
        all_objs.extend(objs)
        if args.output in ("yaml", "json"):
            continue
        if args.output == "name":
            for o in objs:
                ctx.print(object_ref(o))
            continue
        if not objs:
            continue
        if printed:
            ctx.print("")
        ctx.out.write(
            printers.format_table(
                objs,
                now,
                wide=args.output == "wide",
                show_namespace=ctx.all_namespaces and res.namespaced,
                show_labels=args.show_labels,
                label_columns=tuple(c for spec in args.label_columns for c in spec.split(",")),
                show_kind=multi or any("/" in w for w in args.resources),
            )
        )
        printed = True
    if args.output in ("yaml", "json"):
        if all_objs or not code:
            single = len(pairs) == 1 and len(pairs[0][1]) == 1
            ctx.out.write(dump(all_objs, args.output, single))
    elif not all_objs and not code:
        ctx.error(_no_resources(ctx, pairs[0][0]))
    return code


def _stamp_last_applied(doc: dict) -> dict:
    annotated = json.loads(json.dumps(doc))
    annotations = annotated.setdefault("metadata", {}).setdefault("annotations", {}) or {}
    annotated["metadata"]["annotations"] = annotations
    clean = json.loads(json.dumps(doc))
    (clean.get("metadata") or {}).get("annotations", {}).pop(LAST_APPLIED, None)
    annotations[LAST_APPLIED] = json.dumps(clean, separators=(",", ":"), sort_keys=True) + "\n"
    return annotated


def cmd_apply(ctx: Context, args) -> int:
    code = 0
    for path, doc in load_documents(args.filename, sys.stdin):
        try:
            res = kind_of(doc)
            doc.setdefault("metadata", {})
            if res.namespaced:
                doc["metadata"]["namespace"] = _namespace_for(ctx, doc, res)
            name = doc["metadata"].get("name")
            if not name:
                raise UsageError("error when retrieving current configuration: resource name may not be empty")
            try:
                live = store.get(ctx.cluster, res.kind, doc["metadata"].get("namespace", ""), name).to_dict()
            except NotFound:
                try:
                    store.create(ctx.cluster, _stamp_last_applied(doc))
                except ApiError as exc:
                    ctx.error(_with_source(exc, "creating", path))
                    code = 1
                    continue
                ctx.print(f"{object_ref(doc)} created")
                continue
            original_text = (live["metadata"].get("annotations") or {}).get(LAST_APPLIED)
            original = json.loads(original_text) if original_text else None
            modified = _stamp_last_applied(doc)
            patch = three_way_patch(original, modified, live)
            if not patch:
                ctx.print(f"{object_ref(doc)} unchanged")
                continue
            store.patch(ctx.cluster, res.kind, live["metadata"].get("namespace", ""), name, patch, patch_type="strategic")
            ctx.print(f"{object_ref(doc)} configured")
        except ApiError as exc:
            ctx.error(_with_source(exc, "applying", path))
            code = 1
    return code


def _with_source(exc: ApiError, verb: str, path: str) -> str:
    if exc.reason in ("Invalid",):
        return exc.kubectl_message()
    return f"Error from server ({exc.reason}): error when {verb} \"{path}\": {exc.message}"


def cmd_create(ctx: Context, args) -> int:
    code = 0
    for path, doc in load_documents(args.filename, sys.stdin):
        try:
            res = kind_of(doc)
            doc.setdefault("metadata", {})
            if res.namespaced:
                doc["metadata"]["namespace"] = _namespace_for(ctx, doc, res)
            created = store.create(ctx.cluster, doc)
            ctx.print(f"{object_ref(created)} created")
        except ApiError as exc:
            ctx.error(_with_source(exc, "creating", path))
            code = 1
    return code


CASCADE = {"background": "Background", "foreground": "Foreground", "orphan": "Orphan", "true": "Background", "false": "Orphan"}


def cmd_delete(ctx: Context, args) -> int:
    targets: list[tuple[Resource, str, str]] = []
    if args.filename:
        for _path, doc in load_documents(args.filename, sys.stdin):
            res = kind_of(doc)
            targets.append((res, _namespace_for(ctx, doc, res), doc["metadata"]["name"]))
    else:
        for res, names in parse_type_names(args.resources):
            if args.all or args.selector:
                names = [o["metadata"]["name"] for o in list_objects(ctx, res, selector=args.selector)]
            elif not names:
                raise UsageError(
                    "resource(s) were provided, but no name was specified"
                )
            targets.extend((res, ctx.namespace if res.namespaced else "", n) for n in names)
    grace = 0 if args.now or args.force else args.grace_period
    if grace is not None and grace < 0:
        grace = None
    code = 0
    for res, ns, name in targets:
        try:
            store.delete(
                ctx.cluster, res.kind, ns, name,
                grace_period_seconds=grace,
                propagation_policy=CASCADE[args.cascade],
            )
            ctx.print(f'{res.kubectl_name} "{name}" deleted')
        except ApiError as exc:
            ctx.error(exc.kubectl_message())
            code = 1
    if not targets:
        ctx.error(_no_resources(ctx, parse_type_names(args.resources)[0][0]) if args.resources else "No resources found")
    return code


def cmd_describe(ctx: Context, args) -> int:
    pairs = parse_type_names(args.resources)
    now = store.now(ctx.cluster)
    code = 0
    first = True
    for res, names in pairs:
        if names:
            objs = []
            for name in names:
                try:
                    objs.append(store.get(ctx.cluster, res.kind, ctx.namespace if res.namespaced else "", name).to_dict())
                except NotFound as exc:
                    ctx.error(exc.kubectl_message())
                    code = 1
        else:
            objs = list_objects(ctx, res, selector=args.selector)
        for obj in objs:
            if not first:
                ctx.print("\n")
            ctx.out.write(describe.describe(ctx.cluster, obj, now))
            first = False
    return code


def _parse_label_args(pairs: list[str]) -> tuple[dict, list[str]]:
    add, remove = {}, []
    for p in pairs:
        if p.endswith("-") and "=" not in p:
            remove.append(p[:-1])
        elif "=" in p:
            k, v = p.split("=", 1)
            add[k] = v
        else:
            raise UsageError(f"at least one label update is required")
    return add, remove


def cmd_label(ctx: Context, args) -> int:
    words = args.args
    split = next((i for i, w in enumerate(words) if "=" in w or w.endswith("-")), len(words))
    pairs = parse_type_names(words[:split])
    add, remove = _parse_label_args(words[split:])
    if not add and not remove:
        raise UsageError("at least one label update is required")
    code = 0
    for res, names in pairs:
        for name in names:
            ns = ctx.namespace if res.namespaced else ""
            try:
                current = store.get(ctx.cluster, res.kind, ns, name).to_dict()
                labels = current["metadata"].get("labels") or {}
                for k, v in add.items():
                    if k in labels and labels[k] != v and not args.overwrite:
                        raise UsageError(f"'{k}' already has a value ({labels[k]}), and --overwrite is false")
                patch = {"metadata": {"labels": {**add, **{k: None for k in remove}}}}
                store.patch(ctx.cluster, res.kind, ns, name, patch, patch_type="merge")
                verb = "labeled" if add else "unlabeled"
                ctx.print(f"{res.singular}/{name} {verb}")
            except ApiError as exc:
                ctx.error(exc.kubectl_message())
                code = 1
    return code


def _one(ctx: Context, target: list[str]) -> tuple[Resource, str, str]:
    """`TYPE NAME` or `TYPE/NAME`: one object."""
    pairs = parse_type_names(target)
    if len(pairs) != 1 or len(pairs[0][1]) != 1:
        raise UsageError("exactly one resource is required (TYPE NAME or TYPE/NAME)")
    res, (name,) = pairs[0]
    return res, ctx.namespace if res.namespaced else "", name


def cmd_patch(ctx: Context, args) -> int:
    """`kubectl patch TYPE NAME -p PATCH [--type strategic|merge|json]`."""
    res, ns, name = _one(ctx, args.target)
    try:
        body = yaml.safe_load(args.patch)
    except yaml.YAMLError as exc:
        raise UsageError(f"unable to parse \"{args.patch}\": {exc}") from None
    try:
        before = store.get(ctx.cluster, res.kind, ns, name).resource_version
        after = store.patch(ctx.cluster, res.kind, ns, name, body, patch_type=args.type)
    except ApiError as exc:
        ctx.error(exc.kubectl_message())
        return 1
    unchanged = str(before) == after["metadata"]["resourceVersion"]
    ctx.print(f"{object_ref(after)} patched" + (" (no change)" if unchanged else ""))
    return 0


def cmd_set(ctx: Context, args) -> int:
    """`kubectl set image TYPE/NAME CONTAINER=IMAGE ...` (the pod template's containers)."""
    if args.what != "image":
        raise UsageError(f'unknown command "{args.what}" for "kubectl set" (only "image" is simulated)')
    split = next((i for i, w in enumerate(args.args) if "=" in w), len(args.args))
    images = dict(w.split("=", 1) for w in args.args[split:])
    if not images:
        raise UsageError("at least one image update is required")
    res, ns, name = _one(ctx, args.args[:split])
    try:
        obj = store.get(ctx.cluster, res.kind, ns, name).to_dict()
        if not set_images(obj, images):
            return 0        # kubectl sends no patch and prints nothing
        store.update(ctx.cluster, obj)
    except ApiError as exc:
        ctx.error(exc.kubectl_message())
        return 1
    except ValueError as exc:
        ctx.error(f"error: {exc}")
        return 1
    ctx.print(f"{object_ref(obj)} image updated")
    return 0


def set_images(obj: dict, images: dict[str, str]) -> bool:
    """`kubectl set image` on an object (`container=image`, `*` for every container) in place:
    the pod's containers, or its template's (Job/DaemonSet, a CronJob's jobTemplate). Returns
    whether an image changed; a container that is not there is kubectl's error (ValueError)."""
    kind = obj["kind"]
    spec = obj["spec"] if kind == "Pod" else (
        obj["spec"]["jobTemplate"]["spec"]["template"]["spec"] if kind == "CronJob" else obj["spec"]["template"]["spec"])
    containers = [*spec.get("initContainers", []), *spec.get("containers", [])]
    changed = False
    for container, image in images.items():
        found = [c for c in containers if container in ("*", c["name"])]
        if not found:
            raise ValueError(f'unable to find container named "{container}"')
        for c in found:
            changed = changed or c.get("image") != image
            c["image"] = image
    return changed


def cmd_events(ctx: Context, args) -> int:
    """`kubectl events [--for TYPE/NAME]`: oldest first, `LAST SEEN` with "(xN over T)"."""
    now = store.now(ctx.cluster)
    events = list_objects(ctx, resource_for("Event"))
    empty = "No events found." if ctx.all_namespaces else f"No events found in {ctx.namespace} namespace."
    if args.for_:
        res, _, name = _one(ctx, [args.for_])
        events = [e for e in events if e.get("involvedObject", {}).get("kind") == res.kind
                  and e.get("involvedObject", {}).get("name") == name]
    if not events:
        ctx.error(empty)
        return 0
    events.sort(key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
    rows = []
    for e in events:
        first = printers.translate_timestamp_since(e.get("firstTimestamp"), now)
        seen = first
        if int(e.get("count") or 1) > 1:
            seen = f"{printers.translate_timestamp_since(e.get('lastTimestamp'), now)} (x{e['count']} over {first})"
        involved = e.get("involvedObject", {})
        row = [seen, e.get("type", ""), e.get("reason", ""), f"{involved.get('kind', '')}/{involved.get('name', '')}",
               (e.get("message") or "").strip()]
        rows.append([e["metadata"].get("namespace", ""), *row] if ctx.all_namespaces else row)
    headers = ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    ctx.out.write(printers.table_lines(["NAMESPACE", *headers] if ctx.all_namespaces else headers, rows))
    return 0


def _parse_taint(spec: str) -> tuple[str, dict | None]:
    """`k=v:NoSchedule` -> add; `k:NoSchedule-` / `k-` -> remove."""
    if spec.endswith("-"):
        body = spec[:-1]
        key, _, effect = body.partition(":")
        return "remove", {"key": key.split("=")[0], "effect": effect or None}
    if ":" not in spec:
        raise UsageError(f"invalid taint spec: {spec}, unknown effect")
    left, effect = spec.rsplit(":", 1)
    if effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
        raise UsageError(
            f'invalid taint spec: {spec}, invalid taint effect: {effect}, unsupported taint effect'
        )
    key, _, value = left.partition("=")
    taint = {"key": key, "effect": effect}
    if value:
        taint["value"] = value
    return "add", taint


def cmd_taint(ctx: Context, args) -> int:
    words = args.args
    if len(words) < 3:
        raise UsageError("at least one taint update is required")
    res = parse_type_names(words[:1])[0][0]
    if res.kind != "Node":
        raise UsageError(f"invalid resource type {words[0]}, only node types are supported")
    name, specs = words[1], words[2:]
    current = store.get(ctx.cluster, "Node", "", name).to_dict()
    taints = list(current.get("spec", {}).get("taints") or [])
    removed = added = False
    for spec in specs:
        op, taint = _parse_taint(spec)
        if op == "remove":
            keep = [t for t in taints if not (t["key"] == taint["key"] and (taint["effect"] is None or t["effect"] == taint["effect"]))]
            if len(keep) == len(taints):
                raise UsageError(f'taint "{taint["key"]}" not found')
            taints, removed = keep, True
        else:
            same = [t for t in taints if t["key"] == taint["key"] and t["effect"] == taint["effect"]]
            if same and not args.overwrite:
                raise UsageError(
                    f"node {name} already has {taint['key']} taint(s) with same effect(s) and --overwrite is false"
                )
            taints = [t for t in taints if t not in same] + [taint]
            added = True
    spec_patch = {"spec": {"taints": taints or None}}
    store.patch(ctx.cluster, "Node", "", name, spec_patch, patch_type="merge")
    ctx.print(f"node/{name} {'tainted' if added else 'untainted' if removed else 'modified'}")
    return 0


def _set_unschedulable(ctx: Context, names: list[str], value: bool) -> int:
    word = "cordoned" if value else "uncordoned"
    for name in names:
        node = store.get(ctx.cluster, "Node", "", name)
        if bool(node.spec.get("unschedulable")) == value:
            ctx.print(f"node/{name} already {word}")
            continue
        store.patch(ctx.cluster, "Node", "", name, {"spec": {"unschedulable": True if value else None}}, patch_type="strategic")
        ctx.print(f"node/{name} {word}")
    return 0


def cmd_cordon(ctx: Context, args) -> int:
    return _set_unschedulable(ctx, args.nodes, True)


def cmd_uncordon(ctx: Context, args) -> int:
    return _set_unschedulable(ctx, args.nodes, False)


def cmd_rollout(ctx: Context, args) -> int:
    from cluster import rollout

    try:
        if args.action == "status":
            return rollout.status(ctx.cluster, ctx.namespace, args.target, ctx.out,
                                  watch=args.watch != "false", timeout=args.timeout)
        if args.action == "history":
            return rollout.history(ctx.cluster, ctx.namespace, args.target, ctx.out, revision=args.revision)
        return rollout.undo(ctx.cluster, ctx.namespace, args.target, ctx.out, to_revision=args.to_revision)
    except rollout.RolloutError as exc:
        raise UsageError(str(exc)) from None


# --- parser --------------------------------------------------------------------------------

EXTRA_VERBS: dict[str, tuple] = {}


def register_verb(name: str, configure, handler) -> None:
    """Let other apps add verbs (logs, rollout) without this module importing them."""
    EXTRA_VERBS[name] = (configure, handler)


def go_duration(text: str) -> float:
    """A Go duration as kubectl's flags take it (`90s`, `1m30s`, `1.5h`, `0`), in seconds; a bare
    number is taken as seconds too."""
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    try:
        return float(text)
    except ValueError:
        pass
    parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise argparse.ArgumentTypeError(f'time: invalid duration "{text}"')
    return sum(float(n) * units[u] for n, u in parts)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kubectl", add_help=True)
    parser.add_argument("--cluster", default="default", help="simulated cluster (default: default)")
    parser.add_argument("-n", "--namespace", default="default")
    parser.add_argument("-A", "--all-namespaces", action="store_true")
    sub = parser.add_subparsers(dest="verb", required=True)

    get = sub.add_parser("get")
    get.add_argument("resources", nargs="+")
    get.add_argument("-o", "--output", choices=["wide", "yaml", "json", "name"])
    get.add_argument("-l", "--selector")
    get.add_argument("--field-selector")
    get.add_argument("--show-labels", action="store_true")
    get.add_argument("-L", "--label-columns", action="append", default=[])
    get.set_defaults(func=cmd_get)

    for verb, func in (("apply", cmd_apply), ("create", cmd_create)):
        p = sub.add_parser(verb)
        p.add_argument("-f", "--filename", action="append", required=True)
        p.set_defaults(func=func)

    delete = sub.add_parser("delete")
    delete.add_argument("resources", nargs="*")
    delete.add_argument("-f", "--filename", action="append")
    delete.add_argument("-l", "--selector")
    delete.add_argument("--all", action="store_true")
    delete.add_argument("--grace-period", type=int)
    delete.add_argument("--now", action="store_true")
    delete.add_argument("--force", action="store_true")
    delete.add_argument("--cascade", default="background", choices=sorted(CASCADE))
    delete.set_defaults(func=cmd_delete)

    desc = sub.add_parser("describe")
    desc.add_argument("resources", nargs="+")
    desc.add_argument("-l", "--selector")
    desc.set_defaults(func=cmd_describe)

    for verb, func in (("label", cmd_label), ("taint", cmd_taint)):
        p = sub.add_parser(verb)
        p.add_argument("args", nargs="+")
        p.add_argument("--overwrite", action="store_true")
        p.set_defaults(func=func)

    patch = sub.add_parser("patch")
    patch.add_argument("target", nargs="+")
    patch.add_argument("-p", "--patch", required=True)
    patch.add_argument("--type", default="strategic", choices=["strategic", "merge", "json"])
    patch.set_defaults(func=cmd_patch)

    set_ = sub.add_parser("set")
    set_.add_argument("what")
    set_.add_argument("args", nargs="+")
    set_.set_defaults(func=cmd_set)

    events = sub.add_parser("events")
    events.add_argument("--for", dest="for_")
    events.set_defaults(func=cmd_events)

    for verb, func in (("cordon", cmd_cordon), ("uncordon", cmd_uncordon)):
        p = sub.add_parser(verb)
        p.add_argument("nodes", nargs="+")
        p.set_defaults(func=func)

    rollout = sub.add_parser("rollout")
    rollout.add_argument("action", choices=["status", "history", "undo"])
    rollout.add_argument("target")
    rollout.add_argument("--watch", "-w", default="true")
    rollout.add_argument("--timeout", type=go_duration, default=0)
    rollout.add_argument("--revision", type=int)
    rollout.add_argument("--to-revision", type=int, default=0)
    rollout.set_defaults(func=cmd_rollout)

    for verb, (configure, handler) in EXTRA_VERBS.items():
        p = sub.add_parser(verb)
        configure(p)
        p.set_defaults(func=handler)
    return parser


def run(argv: list[str], out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Run one kubectl command line; returns the exit code kubectl would."""
    from cluster.bootstrap import ensure_cluster

    args = build_parser().parse_args(argv)
    cluster = Cluster.objects.filter(name=args.cluster).first()
    if cluster is None:
        if args.cluster != "default":
            err.write(f'error: no cluster named "{args.cluster}"\n')
            return 1
        cluster = ensure_cluster()
    ctx = Context(cluster, args.namespace, args.all_namespaces, out, err)
    try:
        return args.func(ctx, args)
    except (UsageError, manifests.ManifestError, UnknownResource) as exc:
        ctx.error(f"error: {exc}")
        return 1
    except ApiError as exc:
        ctx.error(exc.kubectl_message())
        return 1
