"""Views: pages and regions render, anyone may watch, only a permitted user may act (with CSRF)."""
import shlex
from io import StringIO

import pytest
from django.core.management import call_command
from django.contrib.auth import get_user_model
from django.test import Client

from cluster import store
from cluster.bootstrap import ensure_cluster, load_demo
from cluster.models import DaemonSet, Job, Node
from controllers import simulation
from controllers.models import Decision
from dashboard import actions, scenarios, signin

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


@pytest.fixture
def cluster():
    c = ensure_cluster()
    load_demo(c)
    return c


@pytest.fixture
def teacher_client(cluster):
    client = Client()
    client.force_login(signin.ensure_teacher())
    return client


@pytest.fixture
def daemonset(cluster, teacher_client):
    actions.apply_yaml(cluster, None, actions.example_text("daemonset"))
    simulation.run_until_idle(cluster)
    return DaemonSet.objects.get(cluster=cluster, name="my-first-daemonset")


def test_root_redirects_to_the_default_cluster(client):
    assert client.get("/")["Location"] == "/c/default/"


@pytest.mark.parametrize("path", ["/c/default/", "/c/default/presenter/", "/c/default/workloads/", "/c/default/events/",
                                  "/c/default/scenarios/", "/c/default/ds/default/my-first-daemonset/",
                                  "/c/default/jobs/default/nope/", "/c/default/nodes/node-1/"])
def test_every_page_renders_for_an_anonymous_watcher(client, daemonset, path):
    response = client.get(path)
    assert response.status_code == 200
    assert b'ws-connect="/ws/c/default/' in response.content


def test_the_cluster_view_shows_nodes_pods_and_no_buttons_for_watchers(client, daemonset):
    html = client.get("/c/default/").content.decode()
    assert 'id="node-node-1"' in html and 'class="pod is-running' in html
    assert "my-first-daemonset-" in html and "<b>" in html
    assert 'id="add-node"' not in html and 'id="clock-toggle"' not in html


def test_a_teacher_sees_the_action_buttons_with_their_kubectl(teacher_client, daemonset):
    html = teacher_client.get("/c/default/").content.decode()
    assert 'id="add-node"' in html and "kubectl apply -f node-4.yaml" in html
    assert 'id="clock-toggle"' in html


def test_an_htmx_request_gets_one_region_without_the_page_shell(client, daemonset):
    response = client.get("/c/default/?region=nodes", headers=HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div class="node-grid" id="nodes"')
    assert "<html" not in body


@pytest.mark.parametrize("path, data", [
    ("/c/default/add-node/", {"name": "node-9"}),
    ("/c/default/clock/pause/", {}),
    ("/c/default/apply/", {"yaml": "kind: Node"}),
    ("/c/default/nodes/node-1/cordon/", {}),
    ("/c/default/scenarios/reset/", {"scenario": "job-backoff"}),
])
def test_anonymous_posts_are_refused(client, cluster, path, data):
    assert client.post(path, data).status_code == 403
    assert not Node.objects.filter(cluster=cluster, name="node-9").exists()
    cluster.refresh_from_db()
    assert not cluster.paused


def test_a_signed_in_user_without_permission_is_refused(cluster):
    user = get_user_model().objects.create_user("student")
    client = Client()
    client.force_login(user)
    assert client.post("/c/default/add-node/", {"name": "node-9"}).status_code == 403


def test_posts_need_the_csrf_token(cluster):
    client = Client(enforce_csrf_checks=True)
    client.force_login(signin.ensure_teacher())
    assert client.post("/c/default/add-node/", {"name": "node-9"}).status_code == 403
    page = client.get("/c/default/")
    token = page.cookies["csrftoken"].value
    response = client.post("/c/default/add-node/", {"name": "node-9"}, headers={"X-CSRFToken": token, **HX})
    assert response.status_code == 200
    assert Node.objects.filter(cluster=cluster, name="node-9").exists()


def test_adding_a_node_records_the_teachers_decision_with_its_kubectl(teacher_client, cluster):
    response = teacher_client.post("/c/default/add-node/", {"name": "node-9", "labels": "zone=c", "taints": "gpu=true:NoSchedule"},
                                   headers=HX)
    assert response.status_code == 200
    node = Node.objects.get(cluster=cluster, name="node-9")
    assert node.labels["zone"] == "c" and node.spec["taints"][0]["key"] == "gpu"
    decision = Decision.objects.filter(cluster=cluster).first()
    assert decision.controller == "user:teacher" and "kubectl apply -f node-9.yaml" in decision.message
    assert "kubesim:close-dialog" in response["HX-Trigger"]


def test_a_bad_manifest_is_refused_inline_with_kubernetes_message(teacher_client, cluster):
    bad = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n      containers: []\n"
    response = teacher_client.post("/c/default/apply/", {"yaml": bad}, headers=HX)
    body = response.content.decode()
    assert 'The DaemonSet &quot;x&quot; is invalid' in body or 'The DaemonSet "x" is invalid' in body
    assert "apply-result" in body and "is-error" in body
    assert not DaemonSet.objects.filter(cluster=cluster, name="x").exists()


def test_applying_twice_configures_then_leaves_unchanged(cluster):
    first = actions.apply_yaml(cluster, None, actions.example_text("job"))
    again = actions.apply_yaml(cluster, None, actions.example_text("job"))
    assert first.lines == ["job.batch/hello-world created"]
    assert again.lines == ["job.batch/hello-world unchanged"]
    assert Job.objects.filter(cluster=cluster, name="hello-world").exists()


def test_the_clock_buttons_pause_step_and_set_speed(teacher_client, cluster):
    assert teacher_client.post("/c/default/clock/pause/", headers=HX).status_code == 200
    cluster.refresh_from_db()
    assert cluster.paused
    response = teacher_client.post("/c/default/clock/speed/", {"speed": "60"}, headers=HX)
    assert 'id="clock" hx-swap-oob="true"' in response.content.decode()
    cluster.refresh_from_db()
    assert cluster.speed == 60
    assert teacher_client.post("/c/default/clock/speed/", {"speed": "500"}, headers=HX).status_code == 200
    cluster.refresh_from_db()
    assert cluster.speed == 60  # refused: 1x to 100x


def test_editing_the_image_starts_a_rolling_update(teacher_client, cluster, daemonset):
    teacher_client.post("/c/default/ds/default/my-first-daemonset/image/", {"image": "nginx:1.27"}, headers=HX)
    ds = DaemonSet.objects.get(pk=daemonset.pk)
    assert ds.spec["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert ds.generation == 2


def test_suspending_a_job_patches_its_spec(teacher_client, cluster):
    actions.apply_yaml(cluster, None, actions.example_text("job"))
    teacher_client.post("/c/default/jobs/default/hello-world/suspend/", headers=HX)
    assert Job.objects.get(cluster=cluster, name="hello-world").spec["suspend"] is True


def test_a_sign_in_link_works_once(client, cluster):
    url = signin.signin_url("http://testserver")
    path = url.replace("http://testserver", "")
    response = client.get(path)
    assert response.status_code == 302
    assert client.get("/c/default/").context["viewer"].can_act
    other = Client()
    assert other.get(path).status_code == 403   # used: last_login moved on


def test_resetting_to_a_scenario_rebuilds_the_cluster(cluster):
    store.create(cluster, {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "stray"}})
    reset = scenarios.reset("default", "daemonset-basics")
    assert list(Node.objects.filter(cluster=reset).values_list("name", flat=True)) == ["node-1"]
    assert DaemonSet.objects.filter(cluster=reset, name="my-first-daemonset").exists()
    scenarios.next_step(reset)
    assert Node.objects.filter(cluster=reset).count() == 3
    assert scenarios.state_for("default").step == 2


# --- command hints: each is a command line that works when pasted --------------------------------------------


def run_hint(hint: str) -> str:
    """Run a `python manage.py ...` hint as `manage.py` would (same parser, same database)."""
    argv = shlex.split(hint)
    assert argv[:2] == ["python", "manage.py"], hint
    out = StringIO()
    call_command(*argv[2:], stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("cluster_name", ["default", "other"])
def test_the_clock_hints_are_manage_py_sim_commands_that_work(cluster_name):
    cluster = ensure_cluster(cluster_name)
    for op, kwargs, expected in (("pause", {}, "sim pause"), ("step", {}, "sim step"),
                                 ("resume", {}, "sim resume"), ("speed", {"speed": "60"}, "sim speed 60"),
                                 ("advance", {"by": "1m"}, "sim advance 1m")):
        result = actions.clock(cluster, None, op, **kwargs)
        assert not result.error, result
        suffix = "" if cluster_name == "default" else f" --cluster {cluster_name}"
        assert result.kubectl == f"python manage.py {expected}{suffix}"
        run_hint(result.kubectl)
    cluster.refresh_from_db()
    assert cluster.speed == 60 and not cluster.paused


def test_the_scenario_hints_are_manage_py_commands_that_work(teacher_client, cluster):
    html = teacher_client.get("/c/default/scenarios/").content.decode()
    assert "kubesim scenario" not in html
    for slug, scenario in scenarios.SCENARIOS.items():
        assert f"python manage.py scenario {slug}</code>" in html
        for step in scenario.steps:
            if step.kubectl.startswith("python "):
                run_hint(step.kubectl)
    assert "reset to job-backoff" in run_hint("python manage.py scenario job-backoff")
    reset = scenarios.reset("other", "daemonset-basics")
    decision = Decision.objects.filter(cluster=reset, verb="reset").get()
    assert decision.message.endswith("$ python manage.py scenario daemonset-basics --cluster other")
    assert "reset to daemonset-basics" in run_hint(decision.message.split("$ ", 1)[1])


# --- relative times tick client-side; node tools follow the nodes; the timeline's end label ---------------

import re  # noqa: E402
from datetime import timedelta  # noqa: E402

from controllers import chaos  # noqa: E402

SINCE = re.compile(r'<span class="since" data-since="([^"]+)">([^<]*)</span>')

EVERY_MINUTE = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: every-minute
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: tick
            image: busybox:1.36
            command: ['sh', '-c', 'sleep 300']
          restartPolicy: OnFailure
"""


def test_a_failed_nodes_note_ticks_client_side_and_is_right_on_a_full_load(client, cluster):
    chaos.fail_node(cluster, "node-2")
    simulation.advance(cluster, timedelta(seconds=40))
    html = client.get("/c/default/").content.decode()
    note = re.search(r'<p class="node-note">(.*?)</p>', html[html.index('id="node-node-2"'):]).group(1)
    assert re.fullmatch(r'NotReady for <span class="since" data-since="[^"]+">4\ds</span>: .*', note), note
    chaos.partition_node(cluster, "node-3")
    simulation.advance(cluster, timedelta(minutes=2))
    html = client.get("/c/default/").content.decode()
    note = re.search(r'<p class="node-note">(.*?)</p>', html[html.index('id="node-node-3"'):]).group(1)
    assert note.startswith("No heartbeat for <span class=\"since\" data-since="), note


def test_events_last_seen_and_a_cronjobs_recent_jobs_tick_client_side(client, cluster):
    actions.apply_yaml(cluster, None, EVERY_MINUTE)
    simulation.advance(cluster, timedelta(minutes=3))
    html = client.get("/c/default/events/").content.decode()
    first_row = html[html.index("<tbody>"):].split("</tr>")[0]
    last_seen = re.search(r"<td>(.*?)</td>", first_row).group(1)
    assert SINCE.fullmatch(last_seen), last_seen          # LAST SEEN
    html = client.get("/c/default/cronjobs/default/every-minute/").content.decode()
    jobs = html[html.index('id="table-job"'):]
    row = jobs[jobs.index("<tbody>"):].split("</tr>")[0]
    cells = re.findall(r"<td>(.*?)</td>", row)
    assert "every-minute-" in row and len(cells) >= 3
    assert SINCE.fullmatch(cells[-1])                     # AGE
    assert SINCE.fullmatch(cells[-2])                     # DURATION of a running Job
    assert all(re.fullmatch(r"\d+m(\d+s)?|\d+s", m.group(2)) for m in SINCE.finditer(jobs))


def test_asking_why_about_a_node_that_does_not_exist_answers_in_words(client, cluster):
    html = client.get("/c/default/why/", {"node": "nope"}).content.decode()
    assert "<li></li>" not in html
    assert "There is no node &quot;nope&quot; in this cluster." in html


def test_a_finished_jobs_timeline_shows_its_end_label_alone(client, cluster):
    actions.apply_yaml(cluster, None, actions.example_text("job"))
    simulation.run_until_idle(cluster)
    simulation.advance(cluster, timedelta(seconds=5))
    html = client.get("/c/default/jobs/default/hello-world/").content.decode()
    marks = html[html.index('<div class="vmark">'):html.index('<div class="tl-row"') if '<div class="tl-row"' in html else None]
    assert re.search(r'<div class="is-end is-ok" [^>]*><span>Complete \d\d:\d\d:\d\d</span>', marks), marks[:400]
    assert "<span>now " not in marks                      # the now marker has no label to cover it
    assert "data-now" in marks


def test_an_htmx_request_for_one_region_of_an_object_page_gets_that_region(client, daemonset, cluster):
    """Each region of the DaemonSet, Job and CronJob pages can be fetched alone (its partial is
    named with the page's prefix: `ds-nodes`, `job-attempts`, `cj-jobs`)."""
    actions.apply_yaml(cluster, None, actions.example_text("job"))
    simulation.run_until_idle(cluster)
    actions.apply_yaml(cluster, None, EVERY_MINUTE.replace("every-minute", "tick"))
    job = Job.objects.get(cluster=cluster, namespace="default", name="hello-world")
    for path, regions in (("/c/default/ds/default/my-first-daemonset/", ("head", "status", "nodes", "rollout", "history", "events")),
                          (f"/c/default/jobs/default/{job.name}/", ("head", "status", "indexes", "attempts", "logs", "events")),
                          ("/c/default/cronjobs/default/tick/", ("head", "jobs", "events"))):
        whole = client.get(path)
        assert whole.status_code == 200, path
        for region in regions:
            part = client.get(path, {"region": region}, headers=HX)
            assert part.status_code == 200, (path, region)
            assert len(part.content) < len(whole.content) and b"<html" not in part.content, (path, region)


def test_a_running_jobs_duration_and_the_revision_ages_tick_client_side(client, daemonset, cluster):
    actions.apply_yaml(cluster, None, """apiVersion: batch/v1
kind: Job
metadata:
  name: slow
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox
        command: ["sleep", "600"]
""")
    simulation.advance(cluster, timedelta(seconds=30))
    job_html = client.get("/c/default/jobs/default/slow/").content.decode()
    duration = job_html.split("<dt>Duration</dt>", 1)[1].split("</dd>", 1)[0]
    assert 'class="since" data-since="' in duration
    ds_html = client.get("/c/default/ds/default/my-first-daemonset/").content.decode()
    history = ds_html.split('aria-label="Revision history"', 1)[1].split("</section>", 1)[0]
    assert 'class="since" data-since="' in history


def test_a_cronjob_without_jobs_says_so_about_itself(client, daemonset, cluster):
    actions.apply_yaml(cluster, None, actions.example_text("job"))        # another Job exists
    actions.apply_yaml(cluster, None, EVERY_MINUTE.replace("every-minute", "quiet"))
    html = client.get("/c/default/cronjobs/default/quiet/").content.decode()
    assert "This CronJob has no Jobs yet" in html and "No resources found in default namespace." not in html
