"""The Kubernetes REST API of one simulated cluster, mounted at /k8s/clusters/<name>/.

One async view takes every path below the prefix (so Django never redirects for a slash, and
both /version and /version/ work), finds out who asks and what the path names, checks access,
and hands over to the verb. Every answer is JSON in Kubernetes' shapes; every failure, even an
unexpected one, is a `Status` (kubectl prints `Error from server (NotFound): ...` from it, and
would print an HTML page verbatim). Database work runs in worker threads (`k8sapi.threads`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Awaitable, Callable

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from cluster import manifests
from cluster.errors import ApiError, BadRequest
from cluster.models import Cluster
from cluster.timeutil import parse_time
from k8sapi import compression, discovery, logs, reads, tables, writes
from k8sapi.auth import Identity, authenticate, authorize
from k8sapi.cache import Item, encode
from k8sapi.negotiation import Kind, choose
from k8sapi.registry import group_versions, verbs
from k8sapi.routes import Info, NoRoute, ResourcePath, resolve
from k8sapi.tables import TableOptions
from k8sapi.threads import in_thread
from k8sapi.watch import Watcher, WatchOptions, stream

log = logging.getLogger(__name__)

JSON = "application/json"
NO_CACHE = "no-cache, private"


class ClusterNotFound(ApiError):
    code = 404
    reason = "NotFound"


class MethodNotAllowed(ApiError):
    code = 405
    reason = "MethodNotAllowed"

    def __init__(self) -> None:
        super().__init__("the server does not allow this method on the requested resource")


class RequestEntityTooLarge(ApiError):
    code = 413
    reason = "RequestEntityTooLarge"


# --- responses -----------------------------------------------------------------------------


def raw_json(body: bytes, status: int = 200, content_type: str = JSON, cache: str = NO_CACHE) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type=content_type)
    response["Cache-Control"] = cache
    return response


def status_response(exc: ApiError) -> HttpResponse:
    return raw_json(encode(exc.status()), status=exc.code)


# --- the request ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One authorised resource request: what the handlers of the verbs get."""

    request: HttpRequest
    cluster: Cluster
    route: ResourcePath

    @property
    def params(self) -> QueryDict:
        return self.request.GET

    def flag(self, name: str) -> bool | None:
        value = self.params.get(name)
        if value is None or value == "":
            return None
        if value.lower() in ("true", "1"):
            return True
        if value.lower() in ("false", "0"):
            return False
        raise BadRequest(f'{name}: Invalid value: "{value}": must be true or false')

    def number(self, name: str) -> int | None:
        value = self.params.get(name)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except ValueError:
            raise BadRequest(f'{name}: Invalid value: "{value}": must be an integer') from None

    def dry_run(self) -> bool:
        return writes.dry_run_requested(self.params.getlist("dryRun"))

    def selection(self) -> reads.Selection:
        return reads.selection(self.route.resource, self.route.namespace,
                               self.params.get("labelSelector"), self.params.get("fieldSelector"))

    def table(self) -> TableOptions | None:
        """The Table representation, if the Accept header asks for it."""
        rep = choose(self.request.headers.get("Accept"), frozenset({Kind.TABLE}))
        if rep.kind is not Kind.TABLE:
            return None
        return TableOptions(rep.version, tables.include_object(self.params.get("includeObject")))


Handler = Callable[[Call], Awaitable[HttpResponseBase]]


# --- resource verbs --------------------------------------------------------------------------


async def list_objects(call: Call) -> HttpResponse:
    sel, table = call.selection(), call.table()
    res = sel.resource

    def render(snap: reads.Snapshot) -> tables.Template | bytes:
        if table is not None:
            return tables.table_template(res.kind, snap.items, include=table.include,
                                         resource_version=snap.resource_version, version=table.version)
        return tables.list_json(res.kind, res.api_version, snap.items, snap.resource_version)

    def work() -> tuple[bytes, bool]:
        body = reads.list_body(call.cluster, sel, table, render)
        if compression.wanted(call.request, len(body.data)):
            return body.gzipped(), True  # compressed once per body, here in the worker thread
        return body.data, False

    data, encoded = await in_thread(work)()
    response = raw_json(data)
    return compression.mark(response) if encoded else response


async def watch_objects(call: Call) -> StreamingHttpResponse:
    opts = WatchOptions(
        resource_version=call.params.get("resourceVersion"),
        allow_bookmarks=bool(call.flag("allowWatchBookmarks")),
        send_initial_events=call.flag("sendInitialEvents"),
        timeout_seconds=call.number("timeoutSeconds"),
        table=call.table(),
    )
    watcher = Watcher(call.cluster, call.selection(), opts)
    first = await in_thread(watcher.start)()
    response = StreamingHttpResponse(stream(watcher, first), content_type=JSON)
    response["Cache-Control"] = NO_CACHE
    return response


async def get_object(call: Call) -> HttpResponse:
    route, table = call.route, call.table()

    def work() -> bytes:
        obj, now = reads.get_object(call.cluster, route.resource, route.namespace, route.name)
        if table is not None:
            return tables.table_json(route.resource.kind, [Item(obj)], now, include=table.include,
                                     resource_version=obj["metadata"]["resourceVersion"], version=table.version)
        return encode(obj)

    return raw_json(await in_thread(work)())


def _body(call: Call) -> object:
    return writes.decode(call.request.body, call.request.content_type)


def _decoding(call: Call, fn: Callable[..., object]) -> Callable[..., Awaitable[tuple]]:
    """`fn` in a thread, decoding manifests with the request's `fieldValidation` (`Warn` when
    absent, as the API server does; kubectl asks for `Strict`); returns its result and the
    warnings for unknown fields that were dropped."""
    mode = call.params.get("fieldValidation") or "Warn"
    if mode not in manifests.schema.MODES:
        raise BadRequest(f'fieldValidation parameter unsupported: "{mode}"')

    def work(*args, **kwargs):
        with manifests.field_validation(mode) as warnings:
            return fn(*args, **kwargs), warnings

    return in_thread(work)


def _warned(response: HttpResponse, warnings: list[str]) -> HttpResponse:
    """RFC 7234 warnings (`299 - "text"`), which kubectl prints as `Warning: text`."""
    if warnings:
        response["Warning"] = ", ".join('299 - "' + w.replace("\\", "\\\\").replace('"', '\\"') + '"' for w in warnings)
    return response


async def create_object(call: Call) -> HttpResponse:
    body, dry_run = _body(call), call.dry_run()
    created, warnings = await _decoding(call, writes.create)(call.cluster, call.route, body, dry_run=dry_run)
    return _warned(raw_json(encode(created), status=201), warnings)


async def replace_object(call: Call) -> HttpResponse:
    body, dry_run = _body(call), call.dry_run()
    replaced, warnings = await _decoding(call, writes.replace)(call.cluster, call.route, body, dry_run=dry_run)
    return _warned(raw_json(encode(replaced)), warnings)


async def patch_object(call: Call) -> HttpResponse:
    content_type = call.request.headers.get("Content-Type")
    (patched, status), warnings = await _decoding(call, writes.patch)(
        call.cluster, call.route, call.request.body, content_type, dry_run=call.dry_run(),
        field_manager=call.params.get("fieldManager"), force=call.params.get("force", "").lower() == "true")
    return _warned(raw_json(encode(patched), status=status), warnings)


def _delete_options(call: Call) -> tuple[dict, bool]:
    options = writes.delete_options(call.params.dict(), call.request.body)
    dry_run = call.dry_run() or writes.dry_run_requested(options.get("dryRun") or [])
    return options, dry_run


async def delete_object(call: Call) -> HttpResponse:
    options, dry_run = _delete_options(call)
    result = await in_thread(writes.delete)(call.cluster, call.route, options, dry_run=dry_run)
    return raw_json(encode(result))


async def delete_collection(call: Call) -> HttpResponse:
    options, dry_run = _delete_options(call)
    result = await in_thread(writes.delete_collection)(call.cluster, call.selection(), options, dry_run=dry_run)
    return raw_json(encode(result))


async def evict_pod(call: Call) -> HttpResponse:
    body, dry_run = _body(call), call.dry_run()
    result = await in_thread(writes.evict)(call.cluster, call.route, body, dry_run=dry_run)
    return raw_json(encode(result), status=201)


def _since_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parse_time(value)
    except ValueError:
        raise BadRequest(f'sinceTime: Invalid value: "{value}": must be an RFC 3339 time') from None


async def pod_log(call: Call) -> HttpResponseBase:
    opts = logs.LogOptions(
        container=call.params.get("container") or None,
        previous=bool(call.flag("previous")),
        timestamps=bool(call.flag("timestamps")),
        tail_lines=call.number("tailLines"),
        since_seconds=call.number("sinceSeconds"),
        since_time=_since_time(call.params.get("sinceTime")),
        limit_bytes=call.number("limitBytes"),
        follow=bool(call.flag("follow")),
    )
    namespace, name = call.route.namespace or "", call.route.name
    if opts.follow:
        first = await logs.first_read(call.cluster, namespace, name, opts)
        response: HttpResponseBase = StreamingHttpResponse(logs.follow(call.cluster, namespace, name, opts, first),
                                                           content_type="text/plain")
    else:
        response = HttpResponse(await in_thread(logs.read_log)(call.cluster, namespace, name, opts),
                                content_type="text/plain")
    response["Cache-Control"] = NO_CACHE
    return response


# (subresource, HTTP method) -> (Kubernetes verb, handler); collections and items apart
COLLECTION: dict[str, tuple[str, Handler]] = {
    "POST": ("create", create_object),
    "DELETE": ("deletecollection", delete_collection),
}
ITEM: dict[tuple[str | None, str], tuple[str, Handler]] = {
    (None, "GET"): ("get", get_object),
    (None, "PUT"): ("update", replace_object),
    (None, "PATCH"): ("patch", patch_object),
    (None, "DELETE"): ("delete", delete_object),
    ("status", "GET"): ("get", get_object),
    ("status", "PUT"): ("update", replace_object),
    ("status", "PATCH"): ("patch", patch_object),
    ("log", "GET"): ("get", pod_log),
    ("eviction", "POST"): ("create", evict_pod),
}


def _verb(request: HttpRequest, route: ResourcePath) -> tuple[str, Handler]:
    method = request.method or "GET"
    if route.is_collection:
        if method == "GET":
            watching = request.GET.get("watch", "").lower() in ("true", "1")
            found: tuple[str, Handler] | None = ("watch", watch_objects) if watching else ("list", list_objects)
        else:
            found = COLLECTION.get(method)
        if found is None or found[0] not in verbs(route.resource):
            raise MethodNotAllowed()
        return found
    found = ITEM.get((route.subresource, method))
    if found is None:
        raise MethodNotAllowed()
    return found


# --- version, discovery, OpenAPI -------------------------------------------------------------


def _discovery(request: HttpRequest, info: Info) -> HttpResponse:
    accept = request.headers.get("Accept")
    if info.version is None and info.group in ("", None):
        core = info.group == ""
        rep = choose(accept, frozenset({Kind.DISCOVERY}))
        if rep.kind is Kind.DISCOVERY:
            body = discovery.aggregated(core, rep.version)
        elif core:
            body = discovery.api_versions(request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", ""))
        else:
            body = discovery.api_group_list()
        response = raw_json(encode(body), content_type=rep.content_type)
    else:
        doc = (discovery.api_group(info.group) if info.version is None
               else discovery.api_resource_list(info.group, info.version))
        if doc is None:
            raise NoRoute()
        response = raw_json(encode(doc))
    response["Vary"] = "Accept"
    return response


def _openapi(request: HttpRequest, info: Info) -> HttpResponse:
    if info.endpoint == "openapi-v2":
        raise NoRoute()  # kubectl 1.32 only falls back to v2 when v3 is missing
    if not info.key:
        return raw_json(encode(discovery.openapi_index()))
    found = discovery.openapi_documents().get(info.key)
    if found is None:
        raise NoRoute()
    body, digest = found
    cache = "public, immutable, max-age=31536000" if request.GET.get("hash") == digest else NO_CACHE
    response = raw_json(body, cache=cache)
    response["Etag"] = f'"{digest}"'
    return response


def _info(request: HttpRequest, info: Info) -> HttpResponse:
    if info.endpoint == "version":
        return raw_json(encode(discovery.VERSION))
    if info.endpoint == "root":
        return raw_json(encode({"paths": ["/api", "/api/v1", "/apis", "/openapi/v3", "/version",
                                          *(f"/apis/{g}/{v}" for g, v in group_versions() if g)]}))
    if info.endpoint == "discovery":
        return _discovery(request, info)
    return _openapi(request, info)


# --- the entry point -------------------------------------------------------------------------


def _whoami(cluster_name: str, authorization: str | None) -> tuple[Cluster, Identity]:
    cluster = Cluster.objects.filter(name=cluster_name).first()
    if cluster is None:
        raise ClusterNotFound(f'cluster "{cluster_name}" not found')
    return cluster, authenticate(authorization, cluster)


async def _serve(request: HttpRequest, cluster_name: str, path: str) -> HttpResponseBase:
    cluster, identity = await in_thread(_whoami)(cluster_name, request.headers.get("Authorization"))
    route = resolve(path)
    if isinstance(route, Info):
        return _info(request, route)
    verb, handler = _verb(request, route)
    authorize(identity, cluster, verb, route)
    return await handler(Call(request, cluster, route))


@csrf_exempt
async def api(request: HttpRequest, cluster: str, path: str = "") -> HttpResponseBase:
    """Every request below /k8s/clusters/<cluster>/: always a Kubernetes answer, never HTML."""
    try:
        return compression.compress(request, await _serve(request, cluster, path))
    except ApiError as exc:
        return status_response(exc)
    except manifests.ManifestError as exc:
        return status_response(BadRequest(str(exc)))
    except RequestDataTooBig:
        return status_response(RequestEntityTooLarge("the request body is too large"))
    except Exception as exc:
        log.exception("%s %s failed", request.method, request.path)
        return status_response(ApiError(f"Internal error occurred: {type(exc).__name__}: {exc}"))


@csrf_exempt
async def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Anything under /k8s/ that names no cluster: a Status, as kubectl expects."""
    return status_response(NoRoute())
