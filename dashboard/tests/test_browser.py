"""The live dashboard in a real browser (Debian's Chromium through pytest-playwright), against
the real one-command server (`manage.py serve`) running in a subprocess.

The browser thread runs Playwright's event loop, so nothing here touches the ORM: the tests act
through the UI, HTTP, or `live_server.manage(...)`, and wait with Playwright's auto-waiting
`expect(...)` (explicit timeouts), never with sleeps.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def sign_in(live_server, page: Page) -> None:
    """Sign in as the teacher with a fresh one-time link (as `make run` prints one)."""
    link = live_server.manage("signin_link", live_server.url).stdout.strip()
    page.goto(link)
    expect(page.locator(".user-name")).to_contain_text("Teacher", timeout=5000)


def open_cluster(page: Page, live_server) -> None:
    page.goto(live_server.url + "/c/default/")
    expect(page.locator("#live .live-text")).to_have_text("Live", timeout=5000)


def reset(live_server, scenario: str = "daemonset-basics", step: int = 1) -> None:
    live_server.manage("scenario", scenario, "--step", str(step))


def add_node(page: Page, name: str, labels: str = "") -> None:
    page.click("#add-node")
    page.fill("#node-name", name)
    if labels:
        page.fill("#node-labels", labels)
    page.click("#add-node-submit")


@pytest.fixture
def teacher(live_server, page: Page) -> Page:
    reset(live_server)
    sign_in(live_server, page)
    open_cluster(page, live_server)
    expect(page.locator("#node-node-1 .pod.is-running")).to_be_visible(timeout=10000)
    return page


def console_errors(page: Page) -> list[str]:
    """The page's console errors and uncaught exceptions from now on (the list fills as they come)."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def test_adding_a_node_shows_its_daemonset_pod_within_a_second(teacher: Page):
    teacher.evaluate("window.__noReload = true")
    errors = console_errors(teacher)
    add_node(teacher, "node-7", "zone=c")
    chip = teacher.locator("#node-node-7 .pod")
    expect(chip).to_be_visible(timeout=1000)          # the DaemonSet's pod, pushed over the socket
    expect(chip).to_contain_text("my-first-daemonset-")
    expect(teacher.locator("#node-node-7 .chip")).to_have_text("zone=c")
    expect(chip).to_have_class(re.compile("is-running"), timeout=10000)
    assert teacher.evaluate("window.__noReload") is True  # no reload happened
    assert errors == []                                  # e.g. the name's pattern is a valid (/v) regexp


def test_killing_a_pod_shows_its_replacement(teacher: Page):
    old = teacher.locator("#node-node-1 .pod").first
    old_name = old.get_attribute("id")
    old.click()
    teacher.click("#kill-pod")
    expect(teacher.locator("#dlg-body")).to_contain_text("Deleted pod", timeout=3000)
    teacher.keyboard.press("Escape")
    replacement = teacher.locator(f"#node-node-1 .pod.is-running:not(#{old_name})")
    expect(replacement).to_be_visible(timeout=15000)
    expect(teacher.locator(f"#{old_name}")).to_have_count(0, timeout=15000)
    expect(teacher.locator("#explain-feed")).to_contain_text("kill pod")


def test_pausing_stops_the_clock_and_a_step_moves_one_thing(teacher: Page, live_server):
    teacher.click("#clock-toggle")                    # pause
    expect(teacher.locator("#clock-paused")).to_be_visible(timeout=3000)
    add_node(teacher, "node-8")
    card = teacher.locator("#node-node-8")
    expect(card).to_be_visible(timeout=3000)
    expect(card.locator(".ghost")).to_contain_text("wanted here")
    frozen = teacher.locator("#clock-time").inner_text()
    first = live_server.manage("sim", "status").stdout
    second = live_server.manage("sim", "status").stdout  # a second of wall time, nothing moves
    assert first.split(",")[0] == second.split(",")[0], (first, second)
    expect(teacher.locator("#clock-time")).to_have_text(frozen)
    expect(card.locator(".pod")).to_have_count(0)
    teacher.click("#clock-step")                      # one reconcile: the DaemonSet creates the pod
    chip = card.locator(".pod")
    expect(chip).to_have_count(1, timeout=3000)
    status = chip.get_attribute("data-st")
    live_server.manage("sim", "status")               # still paused: the pod does not move on
    expect(chip).to_have_attribute("data-st", status)
    expect(teacher.locator("#clock-paused")).to_be_visible()
    teacher.click("#clock-toggle")                    # resume for the next tests
    expect(teacher.locator("#clock-paused")).to_have_count(0, timeout=3000)


def test_two_browsers_see_the_same_changes(teacher: Page, live_server, browser):
    watcher_context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        watcher = watcher_context.new_page()
        open_cluster(watcher, live_server)
        expect(watcher.locator("#add-node")).to_have_count(0)   # a student sees no action buttons
        add_node(teacher, "node-6")
        for page in (teacher, watcher):
            expect(page.locator("#node-node-6 .pod")).to_be_visible(timeout=3000)
        expect(watcher.locator("#live")).to_contain_text("2")  # two browsers watching
    finally:
        watcher_context.close()


def test_an_anonymous_viewer_cannot_act(live_server, page: Page):
    open_cluster(page, live_server)
    for control in ("#add-node", "#apply-yaml", "#clock-toggle", "#clock-step"):
        expect(page.locator(control)).to_have_count(0)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(live_server.url + "/c/default/add-node/",
                                 form={"name": "intruder"}, headers={"X-CSRFToken": token})
    assert response.status == 403
    response = page.request.post(live_server.url + "/c/default/clock/pause/", headers={"X-CSRFToken": token})
    assert response.status == 403
    page.reload()
    expect(page.locator("#node-intruder")).to_have_count(0)


def test_a_failing_job_grows_its_attempts_timeline_until_backoff_limit(teacher: Page, live_server):
    teacher.click("#apply-yaml")
    teacher.click("text=hello-world, failing (exit 1)")
    expect(teacher.locator("#yaml-editor")).to_have_value(re.compile("exit 1"))
    teacher.click("#apply-submit")
    expect(teacher.locator("#apply-result")).to_contain_text("job.batch/hello-world created")
    teacher.keyboard.press("Escape")
    teacher.goto(live_server.url + "/c/default/jobs/default/hello-world/")
    expect(teacher.locator("#live .live-text")).to_have_text("Live", timeout=5000)
    teacher.locator("#clock .seg button", has_text="100x").click()
    attempts = teacher.locator("#job-default-hello-world-attempts")
    expect(attempts.locator(".tl-row")).to_have_count(2, timeout=20000)      # a retry...
    expect(attempts.locator(".tl-row .gap").first).to_contain_text("10 s")   # ...after a 10 s back-off
    expect(attempts.locator(".tl-row .exit-code").first).to_have_text("exit 1")
    expect(teacher.locator("#job-status-word")).to_have_text("Failed", timeout=30000)
    expect(teacher.locator("#job-default-hello-world-head")).to_contain_text("BackoffLimitExceeded")
    expect(attempts.locator(".tl-row")).to_have_count(5)                     # backoffLimit 4: five pods
    expect(attempts.locator(".limit")).to_contain_text("backoffLimit 4")
    teacher.locator("#clock .seg button", has_text="1x").click()


# --- the client-side clock never runs backwards ------------------------------------------------------

EVERY_FIVE_MINUTES = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: every-five-minutes
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: tick
            image: busybox:1.36
            command: ['sh', '-c', 'sleep 30']
          restartPolicy: OnFailure
"""

FLAKY_JOB = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: flaky
spec:
  template:
    spec:
      containers:
      - name: flaky
        image: busybox:1.36
        command: ['sh', '-c', 'exit 1']
      restartPolicy: Never
  backoffLimit: 10
"""

# Samples, every 50 ms, the clock's text and the Job timeline's "now" label (as seconds since the
# epoch), and counts the socket's frames: those that carry the clock and those that do not.
SAMPLE_CLOCK = r"""() => {
  const secs = (text) => {
    const m = /(?:day (\d+) · )?(\d\d):(\d\d):(\d\d)/.exec(text || "");
    return m ? ((m[1] ? +m[1] - 1 : 0) * 86400 + +m[2] * 3600 + +m[3] * 60 + +m[4]) : null;
  };
  const s = window.__sampled = {clock: [], now: [], frames: 0, clockFrames: 0};
  document.addEventListener("htmx:wsAfterMessage", (evt) => {
    if (/\sid="clock"/.test(evt.detail.message)) s.clockFrames++; else s.frames++;
  });
  setInterval(() => {
    const clock = secs(document.getElementById("clock-time")?.textContent);
    if (clock !== null) s.clock.push(clock);
    const now = secs(document.querySelector(".tl [data-now] span")?.textContent);
    if (now !== null) s.now.push(now);
  }, 50);
}"""


def backward_jumps(values: list[int]) -> list[tuple[int, int]]:
    return [(a, b) for a, b in zip(values, values[1:]) if b < a]


def test_the_clock_never_runs_backwards_while_frames_without_it_arrive(teacher: Page, live_server, tmp_path):
    for name, manifest in (("cron.yaml", EVERY_FIVE_MINUTES), ("flaky.yaml", FLAKY_JOB)):
        (tmp_path / name).write_text(manifest)
        live_server.manage("kubectl", "apply", "-f", str(tmp_path / name))
    teacher.goto(live_server.url + "/c/default/jobs/default/flaky/")
    expect(teacher.locator("#live .live-text")).to_have_text("Live", timeout=5000)
    teacher.locator("#clock .seg button", has_text="100x").click()
    expect(teacher.locator("#clock .seg button", has_text="100x")).to_have_attribute("aria-pressed", "true",
                                                                                      timeout=3000)
    try:
        # the Job page: the attempts' pods change, the clock comes every 5 s; the timeline's "now"
        # marker ticks on the same clock. 200 samples: 10 s, two of the server's clock re-syncs.
        teacher.evaluate(SAMPLE_CLOCK)
        teacher.wait_for_function("() => __sampled.frames >= 3 && __sampled.now.length >= 200", timeout=30000)
        sampled = teacher.evaluate("__sampled")
        assert backward_jumps(sampled["clock"]) == [], backward_jumps(sampled["clock"])
        assert backward_jumps(sampled["now"]) == [], backward_jumps(sampled["now"])
        assert sampled["clockFrames"] >= 2, sampled
        assert sampled["now"][-1] - sampled["now"][0] > 120, sampled   # it ran: minutes in 10 s

        # the cluster view: pod chips change many times a second
        open_cluster(teacher, live_server)
        teacher.evaluate(SAMPLE_CLOCK)
        teacher.wait_for_function("() => __sampled.frames >= 10 && __sampled.clock.length >= 200", timeout=30000)
        sampled = teacher.evaluate("__sampled")
        assert backward_jumps(sampled["clock"]) == [], backward_jumps(sampled["clock"])
        assert sampled["clockFrames"] >= 2, sampled
        assert sampled["clock"][-1] - sampled["clock"][0] > 120, sampled
    finally:
        teacher.locator("#clock .seg button", has_text="1x").click()


# --- relative times tick with the clock between frames -------------------------------------------------------

# True once the same LAST SEEN element (not one a frame swapped in) shows a new duration; a swap
# re-anchors on the new element. Before data-since there is no such element: it never is.
SAME_CELL_TICKED = r"""() => {
  const el = document.querySelector("#table-event tbody tr [data-since]");
  if (!el) return false;
  if (el !== window.__cell) { window.__cell = el; window.__first = el.textContent; return false; }
  return el.textContent !== window.__first ? el.textContent : false;
}"""


def test_relative_times_tick_between_frames(teacher: Page, live_server):
    teacher.goto(live_server.url + "/c/default/events/")
    expect(teacher.locator("#live .live-text")).to_have_text("Live", timeout=5000)
    expect(teacher.locator("#clock-paused")).to_have_count(0)
    ticked = teacher.wait_for_function(SAME_CELL_TICKED, timeout=8000).json_value()
    assert re.fullmatch(r"\d+s|\d+m(\d+s)?", ticked), ticked     # kubectl's HumanDuration
