"""Thin views: read the context and render (the page, or one region for htmx), or call an action
and return what changed. Anyone may watch; every POST needs a signed-in user with permission
(`cluster.change_cluster`) and a CSRF token, and is refused with 403 otherwise."""
from __future__ import annotations

from functools import wraps

from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cluster.bootstrap import DEFAULT_CLUSTER
from cluster.models import Cluster, Node, Pod
from dashboard import actions, scenarios
from dashboard import presenters as p
from dashboard.pages import (ClusterPage, CronJobPage, DaemonSetPage, EventsPage, JobPage, Page, PresenterPage,
                             WorkloadsPage, cluster_names)


def _cluster(request: HttpRequest, name: str) -> Cluster:
    cluster = Cluster.objects.filter(name=name).first()
    if cluster is None:
        raise Http404(f'no cluster named "{name}"')
    if not cluster.public and not request.user.is_authenticated:
        raise Http404(f'no cluster named "{name}"')
    return cluster


def _viewer(request) -> p.Viewer:
    return p.viewer_for(request.user)


def may_act(view):
    """POST views: refuse (403) anyone who is not signed in with permission to drive the cluster."""
    @wraps(view)
    def wrapper(request, cluster, *args, **kwargs):
        if not _viewer(request).can_act:
            return HttpResponseForbidden("Watching is open to everyone; changing the cluster needs a signed-in "
                                         "user with permission (403 Forbidden).")
        return view(request, _cluster(request, cluster), *args, **kwargs)
    return wrapper


def _render_page(request, page_cls: type[Page], cluster_name: str, **kwargs) -> HttpResponse:
    cluster = _cluster(request, cluster_name)
    page = page_cls(cluster, kwargs, {k: v for k, v in request.GET.items() if k != "region"}, _viewer(request))
    context = page.context()
    template = page.template
    region = request.GET.get("region")
    if request.headers.get("HX-Request") and region in getattr(page, "partials", page.regions):
        template = page.partial(region)
    return render(request, template, context)


def _result(request, result: actions.Result, *, body: str = "") -> HttpResponse:
    """An action's answer: the toast (out of band) plus, for a dialog, its new body."""
    if not request.headers.get("HX-Request"):
        return HttpResponseRedirect(request.headers.get("Referer") or reverse("dashboard:home"))
    toast = render_to_string("dashboard/components.html#toast", {"result": result})
    response = HttpResponse(body + toast, status=200)
    if not body:
        response["HX-Reswap"] = "none"
    return response


# --- pages -------------------------------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(reverse("dashboard:cluster", args=[DEFAULT_CLUSTER]))


@require_GET
def cluster_page(request, cluster: str) -> HttpResponse:
    return _render_page(request, ClusterPage, cluster)


@require_GET
def presenter(request, cluster: str) -> HttpResponse:
    return _render_page(request, PresenterPage, cluster)


@require_GET
def daemonset(request, cluster: str, namespace: str, name: str) -> HttpResponse:
    return _render_page(request, DaemonSetPage, cluster, namespace=namespace, name=name)


@require_GET
def job(request, cluster: str, namespace: str, name: str) -> HttpResponse:
    return _render_page(request, JobPage, cluster, namespace=namespace, name=name)


@require_GET
def cronjob(request, cluster: str, namespace: str, name: str) -> HttpResponse:
    return _render_page(request, CronJobPage, cluster, namespace=namespace, name=name)


@require_GET
def workloads(request, cluster: str) -> HttpResponse:
    return _render_page(request, WorkloadsPage, cluster)


@require_GET
def events(request, cluster: str) -> HttpResponse:
    return _render_page(request, EventsPage, cluster)


def _dialog(request, cluster: Cluster, partial: str, context: dict, title: str) -> HttpResponse:
    """A dialog's body for htmx; the same body inside a plain page otherwise."""
    context = {"cluster_name": cluster.name, "viewer": _viewer(request), **context}
    if request.headers.get("HX-Request"):
        return render(request, f"dashboard/dialogs.html#{partial}", context)
    page = Page(cluster, {}, {}, _viewer(request))
    page.title = title
    base = page.context()
    base.update(context)
    base.update({"partial": partial})
    return render(request, "dashboard/dialog_page.html", base)


@require_GET
def pod(request, cluster: str, namespace: str, name: str) -> HttpResponse:
    c = _cluster(request, cluster)
    row = Pod.objects.filter(cluster=c, namespace=namespace, name=name).first()
    if row is None:
        raise Http404(f'pods "{name}" not found')
    return _dialog(request, c, "pod", {"pod": p.pod_detail(c, row)}, name)


@require_GET
def node(request, cluster: str, name: str) -> HttpResponse:
    c = _cluster(request, cluster)
    row = Node.objects.filter(cluster=c, name=name).first()
    if row is None:
        raise Http404(f'nodes "{name}" not found')
    return _dialog(request, c, "node", {"node": p.node_detail(c, row), "why": p.why_no_pod(c, name)}, name)


@require_GET
def why(request, cluster: str) -> HttpResponse:
    c = _cluster(request, cluster)
    answer = p.why_no_pod(c, request.GET.get("node", ""))
    return render(request, "dashboard/components.html#why-answer", {"why": answer, "cluster_name": c.name})


@require_GET
def object_yaml(request, cluster: str, kind: str, namespace: str, name: str) -> HttpResponse:
    c = _cluster(request, cluster)
    return _dialog(request, c, "yaml", {"yaml": p.object_yaml(c, kind, namespace, name)}, name)


@require_GET
def scenarios_page(request, cluster: str) -> HttpResponse:
    c = _cluster(request, cluster)
    page = Page(c, {}, {}, _viewer(request))
    page.title, page.section = "Scenarios", "scenarios"
    context = page.context()
    context.update({"scenarios": list(scenarios.SCENARIOS.values()), "state": scenarios.state_for(c.name),
                    "share_url": request.build_absolute_uri(reverse("dashboard:cluster", args=[c.name])),
                    "presenter_url": request.build_absolute_uri(reverse("dashboard:presenter", args=[c.name]))})
    return render(request, "dashboard/scenarios.html", context)


# --- actions -----------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def add_node(request, cluster: str) -> HttpResponse:
    if request.method == "GET":
        c = _cluster(request, cluster)
        names = list(Node.objects.filter(cluster=c).values_list("name", flat=True))
        return _dialog(request, c, "add-node", {"suggested": p._next_node_name(sorted(names)), "values": {}}, "Add node")
    return _add_node(request, cluster)


@may_act
def _add_node(request, cluster: Cluster) -> HttpResponse:
    data = request.POST
    try:
        capacity = int(data.get("capacity") or 110)
    except ValueError:
        capacity = 0
    if capacity < 1:
        result = actions.Result("error: capacity must be a positive number of pods", error=True)
    else:
        result = actions.add_node(cluster, request.user, data.get("name", ""), data.get("labels", ""),
                                  data.get("taints", ""), capacity)
    if result.error:
        body = render_to_string("dashboard/dialogs.html#add-node", {
            "cluster_name": cluster.name, "viewer": _viewer(request), "error": result.message,
            "suggested": data.get("name", ""), "values": data}, request=request)
        return _result(request, result, body=body)
    return _close_dialog(request, result)


def _close_dialog(request, result) -> HttpResponse:
    response = _result(request, result, body=render_to_string("dashboard/dialogs.html#done", {"result": result}))
    response["HX-Trigger"] = "kubesim:close-dialog"
    return response


@require_http_methods(["GET", "POST"])
def apply(request, cluster: str) -> HttpResponse:
    if request.method == "GET":
        c = _cluster(request, cluster)
        example = request.GET.get("example", "")
        text = actions.example_text(example) if example in (*actions.EXAMPLES, "failing-job") else ""
        return _dialog(request, c, "apply", {"text": text, "examples": actions.EXAMPLES, "result": None}, "Apply YAML")
    return _apply(request, cluster)


@may_act
def _apply(request, cluster: Cluster) -> HttpResponse:
    text = request.POST.get("yaml", "")
    result = actions.apply_yaml(cluster, request.user, text)
    body = render_to_string("dashboard/dialogs.html#apply", {
        "cluster_name": cluster.name, "viewer": _viewer(request), "text": text, "examples": actions.EXAMPLES,
        "result": result}, request=request)
    return _result(request, result, body=body)


@require_POST
@may_act
def node_action(request, cluster: Cluster, name: str, op: str) -> HttpResponse:
    data = request.POST
    if op in actions.NODE_ACTIONS:
        result = actions.node_action(cluster, request.user, op, name)
    elif op == "label":
        result = actions.label_node(cluster, request.user, name, data.get("key", ""), data.get("value", ""),
                                    remove=bool(data.get("remove")))
    elif op == "taint":
        result = actions.taint_node(cluster, request.user, name, data.get("key", ""), data.get("value", ""),
                                    data.get("effect", "NoSchedule"), remove=bool(data.get("remove")))
    else:
        raise Http404(op)
    if result.error or op == "remove":
        return _result(request, result, body=render_to_string("dashboard/dialogs.html#done", {"result": result}))
    row = Node.objects.filter(cluster=cluster, name=name).first()
    body = render_to_string("dashboard/dialogs.html#node", {
        "cluster_name": cluster.name, "viewer": _viewer(request), "node": p.node_detail(cluster, row),
        "why": p.why_no_pod(cluster, name), "result": result}, request=request) if row else ""
    return _result(request, result, body=body)


@require_POST
@may_act
def pod_action(request, cluster: Cluster, namespace: str, name: str, op: str) -> HttpResponse:
    if op == "kill":
        result = actions.kill_pod(cluster, request.user, namespace, name)
    elif op == "crash":
        result = actions.crash_container(cluster, request.user, namespace, name, request.POST.get("container", ""))
    else:
        raise Http404(op)
    return _close_dialog(request, result) if not result.error else _result(request, result)


@require_POST
@may_act
def ds_action(request, cluster: Cluster, namespace: str, name: str, op: str) -> HttpResponse:
    data = request.POST
    if op == "image":
        result = actions.set_ds_image(cluster, request.user, namespace, name, data.get("container", ""), data.get("image", ""))
    elif op == "selector":
        result = actions.set_ds_node_selector(cluster, request.user, namespace, name, data.get("selector", ""))
    elif op == "rollback":
        result = actions.rollback_ds(cluster, request.user, namespace, name, int(data.get("revision") or 0))
    elif op == "delete":
        result = actions.delete_object(cluster, request.user, "DaemonSet", namespace, name)
    else:
        raise Http404(op)
    return _result(request, result)


@require_POST
@may_act
def job_action(request, cluster: Cluster, namespace: str, name: str, op: str) -> HttpResponse:
    if op in ("suspend", "resume"):
        result = actions.suspend(cluster, request.user, "Job", namespace, name, op == "suspend")
    elif op == "delete":
        result = actions.delete_object(cluster, request.user, "Job", namespace, name)
    else:
        raise Http404(op)
    return _result(request, result)


@require_POST
@may_act
def cronjob_action(request, cluster: Cluster, namespace: str, name: str, op: str) -> HttpResponse:
    if op in ("suspend", "resume"):
        result = actions.suspend(cluster, request.user, "CronJob", namespace, name, op == "suspend")
    else:
        raise Http404(op)
    return _result(request, result)


@require_POST
@may_act
def clock(request, cluster: Cluster, op: str) -> HttpResponse:
    result = actions.clock(cluster, request.user, op, speed=request.POST.get("speed", ""), by=request.POST.get("by", ""))
    cluster.refresh_from_db()
    clock_html = render_to_string("dashboard/components.html#clock", {
        "clock": p.clock_view(cluster), "cluster_name": cluster.name, "viewer": _viewer(request), "oob": True})
    response = _result(request, result, body=clock_html)
    response["HX-Reswap"] = "none"
    return response


@require_POST
@may_act
def scenario_reset(request, cluster: Cluster) -> HttpResponse:
    slug = request.POST.get("scenario", "")
    if slug not in scenarios.SCENARIOS:
        return HttpResponse(f'unknown scenario "{slug}"', status=400)
    scenarios.reset(cluster.name, slug, request.user)
    target = request.POST.get("next") or reverse("dashboard:cluster", args=[cluster.name])
    if not target.startswith("/"):
        target = reverse("dashboard:cluster", args=[cluster.name])
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return HttpResponseRedirect(target)


@require_POST
@may_act
def scenario_step(request, cluster: Cluster, direction: str) -> HttpResponse:
    if direction == "next":
        scenarios.next_step(cluster, request.user)
    elif direction == "back":
        scenarios.previous_step(cluster, request.user)
    else:
        raise Http404(direction)
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        return response
    return HttpResponseRedirect(reverse("dashboard:presenter", args=[cluster.name]))


@require_POST
def signout(request) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect(reverse("dashboard:home"))


__all__ = ["cluster_names"]
