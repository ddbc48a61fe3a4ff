/* kubesim: the little the page does by itself. Everything it shows comes from the server
   (htmx requests and WebSocket frames of server-rendered partials); this script only
   1. ticks the simulated clock, the countdowns and the relative times (AGE) between frames, from (sim_now, speed, paused)
      that the frames carrying the clock re-sync (see docs/dashboard.md, "The clock"),
   2. shows the connection state and reconnects after a server restart,
   3. animates pod chips that appear, change or disappear,
   4. offers keyboard shortcuts, and opens the dialog when htmx fills it. */
(function () {
  "use strict";

  /* ---------- 1. the simulated clock, ticking client-side ---------- */
  // The clock is (re-)anchored only from a clock element the server just sent: on load, and after
  // a swap of #clock itself. A frame without the clock (pod chips, a dialog) leaves the anchor alone:
  // the page's data-sim is then as old as the last clock frame, and re-reading it would move the
  // clock back by the time since. htmx fills a swapped element with the old one's attributes until
  // it settles, so the fresh data-sim is read after the settle (`reanchor`), not in oobAfterSwap.
  var base = null;        // {sim: ms, at: performance.now(), speed, paused, floor}
  var clockSwapped = false;
  var OUT_OF_ORDER_MS = 2000; // wall time: a clock this little behind the last one is a late frame

  function readClock() {
    var el = document.getElementById("clock");
    if (!el || !el.dataset.sim) return;
    var next = {
      sim: Date.parse(el.dataset.sim),
      at: performance.now(),
      speed: parseFloat(el.dataset.speed || "1"),
      paused: el.dataset.paused === "1",
      floor: null,
    };
    // The server's sim_now never goes backwards, but it moves in the driver's slices (behind the
    // nominal speed when the server is busy) and a frame takes a moment to come: a fresh clock can
    // be behind what the page shows. While it runs, the page holds its time until the new anchor
    // catches up rather than stepping back. A clock clearly older than the last one is real: a
    // scenario reset made a new cluster. Paused, the page shows the server's time as it is.
    var shown = simNow();
    if (base && shown !== null && !next.paused && shown > next.sim &&
        next.sim >= base.sim - OUT_OF_ORDER_MS * Math.max(base.speed, next.speed)) {
      next.floor = shown;
    }
    base = next;
  }

  function reanchor() {
    if (!clockSwapped) return false;
    clockSwapped = false;
    readClock();
    return true;
  }

  function simNow() {
    if (!base) return null;
    if (base.paused) return base.sim;
    var now = base.sim + (performance.now() - base.at) * base.speed;
    if (base.floor !== null) {
      if (now >= base.floor) base.floor = null;
      else return base.floor;
    }
    return now;
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  var EPOCH = Date.UTC(2026, 0, 1);

  function clockText(ms) {
    var d = new Date(ms);
    var text = pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
    var day = Math.floor((ms - EPOCH) / 86400000);
    return day > 0 ? "day " + (day + 1) + " · " + text : text;
  }

  // apimachinery's duration.HumanDuration, as cluster/printers.py `human_duration` (kubectl's AGE)
  function compound(major, majorUnit, minor, minorUnit) {
    return minor ? major + majorUnit + minor + minorUnit : major + majorUnit;
  }

  function humanDuration(ms) {
    var s = Math.trunc(ms / 1000);
    if (s < 0) return "0s";   // a page's clock a moment behind the server's: never "<invalid>"
    if (s < 120) return s + "s";
    var m = Math.floor(s / 60);
    if (m < 10) return compound(m, "m", s % 60, "s");
    if (m < 60 * 3) return m + "m";
    var h = Math.floor(s / 3600);
    if (h < 8) return compound(h, "h", m % 60, "m");
    if (h < 48) return h + "h";
    var d = Math.floor(h / 24);
    if (h < 24 * 8) return compound(d, "d", h % 24, "h");
    if (h < 24 * 365 * 2) return d + "d";
    if (h < 24 * 365 * 8) return compound(Math.floor(d / 365), "y", d % 365, "d");
    return Math.floor(d / 365) + "y";
  }

  function tick() {
    var now = simNow();
    if (now === null) return;
    var t = document.getElementById("clock-time");
    if (t) {
      var text = clockText(now);
      if (t.textContent !== text) t.textContent = text;
    }
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var due = Date.parse(el.dataset.due);
      if (isNaN(due)) return;
      var left = Math.max(0, Math.ceil((due - now) / 1000));
      var s = String(left);
      if (el.textContent !== s) el.textContent = s;
    });
    // relative times (AGE, LAST SEEN, "NotReady for 40s"): HumanDuration(now - since)
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var since = Date.parse(el.dataset.since);
      if (isNaN(since)) return;
      var s = humanDuration(now - since);
      if (el.textContent !== s) el.textContent = s;
    });
    document.querySelectorAll("[data-fill-from]").forEach(function (el) {
      var a = Date.parse(el.dataset.fillFrom), b = Date.parse(el.dataset.fillTo);
      if (isNaN(a) || isNaN(b) || b <= a) return;
      el.style.setProperty("--p", Math.min(1, Math.max(0, (now - a) / (b - a))).toFixed(3));
    });
    document.querySelectorAll(".tl[data-axis-start]").forEach(function (tl) {
      var start = Date.parse(tl.dataset.axisStart), span = parseFloat(tl.dataset.span);
      var secs = (now - start) / 1000;
      var mark = tl.querySelector("[data-now]");
      if (mark) {
        mark.style.setProperty("--t", Math.min(secs, span).toFixed(2));
        mark.classList.toggle("is-clamped", secs > span);
        var label = mark.querySelector("span");
        var text = "now " + clockText(now) + (secs > span ? " →" : "");
        if (label) label.textContent = text;
        else if (mark.title !== text) mark.title = text;   // the Job finished: its end marker has the label
      }
      tl.querySelectorAll("[data-grow]").forEach(function (bar) {
        bar.style.setProperty("--t1", Math.min(secs, span).toFixed(2));
      });
    });
  }

  /* ---------- 2. the connection ---------- */
  function live(state) {
    var el = document.getElementById("live");
    if (!el) return;
    el.classList.toggle("is-down", state !== "open");
    var text = el.querySelector(".live-text");
    if (text) text.textContent = state === "open" ? "Live" : state === "connecting" ? "Connecting…" : "Reconnecting…";
  }

  document.addEventListener("htmx:wsOpen", function () { live("open"); });
  document.addEventListener("htmx:wsConnecting", function () { live("connecting"); });
  document.addEventListener("htmx:wsClose", function (evt) {
    live("closed");
    // the extension retries by itself only after 1006/1011/1012/1013; a clean close from a
    // stopping server (1000/1001) must reconnect too: the page resyncs from the snapshot
    var code = evt.detail && evt.detail.event && evt.detail.event.code;
    var wrapper = evt.detail && evt.detail.socketWrapper;
    if ([1006, 1011, 1012, 1013].indexOf(code) < 0 && wrapper && code < 4000) {
      setTimeout(function () { wrapper.reconnect(); }, 800);
    }
  });

  /* ---------- 3. pod chips: appear, change, disappear ---------- */
  // Only what a frame swaps is looked at: the frame's top-level elements (each carries
  // hx-swap-oob and an id) are found in its text, and only the chips inside them (or the chips
  // themselves) are measured before the swap and compared after it. A frame of 100 chips costs
  // 100 look-ups, whatever the size of the page (5,000 tiles).
  var CHIPS = ".pod[id], .pq[id]";
  var OOB_TAG = /<[a-z][^>]*\shx-swap-oob="true"[^>]*>/g;
  var ID_ATTR = /\sid="([^"]+)"/;
  var known = new Map(); // chip id -> status word
  var before = null;     // {ids: [...], chips: Map(id -> {el, rect})}

  function chipsIn(el) {
    if (!el) return [];
    if (el.matches(CHIPS)) return [el];
    return Array.prototype.slice.call(el.querySelectorAll(CHIPS));
  }

  function remember() {
    known.clear();
    document.querySelectorAll(CHIPS).forEach(function (el) { known.set(el.id, el.dataset.st || ""); });
  }

  function swappedIds(message) {
    var ids = [];
    if (typeof message !== "string") return ids;
    var tags = message.match(OOB_TAG) || [];
    for (var i = 0; i < tags.length; i++) {
      var m = ID_ATTR.exec(tags[i]);
      if (m) ids.push(m[1]);
    }
    return ids;
  }

  document.addEventListener("htmx:wsBeforeMessage", function (evt) {
    var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var ids = swappedIds(evt.detail && evt.detail.message);
    var picker = document.getElementById("why-node");
    before = { ids: ids, chips: new Map(), animate: !reduce,
               // the "Why no pod on" picker is re-sent when nodes come and go: keep the reader's choice
               picker: picker && ids.indexOf("why-node") >= 0 ? { value: picker.value, focused: document.activeElement === picker } : null };
    ids.forEach(function (id) {
      chipsIn(document.getElementById(id)).forEach(function (el) {
        // the element itself is kept: the swap detaches it, and a leaving chip fades out as it was
        before.chips.set(el.id, { el: el, rect: reduce ? null : el.getBoundingClientRect() });
      });
    });
  });

  document.addEventListener("htmx:wsAfterMessage", function () {
    reanchor(); // the extension has settled the frame's swaps: a swapped #clock has its new data
    if (before) {
      var present = new Set();
      before.ids.forEach(function (id) {
        chipsIn(document.getElementById(id)).forEach(function (el) {
          var st = el.dataset.st || "";
          present.add(el.id);
          if (!known.has(el.id)) el.classList.add("is-appearing");
          else if (known.get(el.id) !== st) el.classList.add("is-changed");
          known.set(el.id, st);
        });
      });
      before.chips.forEach(function (old, id) {
        if (present.has(id) || document.getElementById(id)) return; // still here (maybe moved)
        known.delete(id);
        if (!before.animate || !old.rect || !old.rect.width) return;
        var ghost = old.el;
        ghost.removeAttribute("id");
        ghost.classList.add("is-leaving");
        ghost.setAttribute("aria-hidden", "true");
        ghost.style.cssText += ";position:fixed;margin:0;pointer-events:none;z-index:50;left:" + old.rect.left +
          "px;top:" + old.rect.top + "px;width:" + old.rect.width + "px;height:" + old.rect.height + "px";
        document.body.appendChild(ghost);
        setTimeout(function () { ghost.remove(); }, 700);
      });
    }
    if (before && before.picker) {
      var picker = document.getElementById("why-node");
      if (picker) {
        if (picker.tagName === "INPUT" || Array.prototype.some.call(picker.options, function (o) { return o.value === before.picker.value; })) {
          picker.value = before.picker.value;
        }
        if (before.picker.focused) picker.focus();
      }
    }
    before = null;
    tick();
  });

  /* ---------- 4. dialog, keyboard, forms ---------- */
  document.addEventListener("htmx:afterSwap", function (evt) {
    var dlg = document.getElementById("dlg");
    if (!evt.detail.target || evt.detail.target.id !== "dlg-body") {
      // content loaded by htmx (the next page of tiles, a filtered grid): its chips are not new
      document.querySelectorAll(CHIPS).forEach(function (el) {
        if (!known.has(el.id)) known.set(el.id, el.dataset.st || "");
      });
    }
    if (evt.detail.target && evt.detail.target.id === "dlg-body" && dlg && !dlg.open) {
      dlg.showModal();
      var first = dlg.querySelector("input:not([type=hidden]), textarea, select");
      if (first) first.focus();
    }
    tick();
  });
  document.addEventListener("htmx:oobAfterSwap", function (evt) {
    // the target is the replaced element: the new one still carries its attributes until settled
    if (evt.detail && evt.detail.target && evt.detail.target.id === "clock") clockSwapped = true;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (reanchor()) tick(); // a clock sent out of band in an HTTP response (the clock buttons)
  });
  document.addEventListener("kubesim:close-dialog", function () {
    var dlg = document.getElementById("dlg");
    if (dlg && dlg.open) setTimeout(function () { dlg.close(); }, 900);
  });

  // pod chips and dense tiles carry no hx-get (thousands of them would slow htmx's start and
  // every frame's swap): one delegated listener opens their dialog; without JS the link opens a page
  document.addEventListener("click", function (evt) {
    var link = evt.target.closest && evt.target.closest("a.tile, a.pod");
    if (!link || evt.button || evt.ctrlKey || evt.metaKey || evt.shiftKey || evt.altKey || !window.htmx) return;
    evt.preventDefault();
    htmx.ajax("GET", link.getAttribute("href"), { target: "#dlg-body", swap: "innerHTML" });
  });

  document.addEventListener("keydown", function (evt) {
    if (evt.ctrlKey || evt.metaKey || evt.altKey) return;
    var tag = (evt.target && evt.target.tagName) || "";
    if (/INPUT|TEXTAREA|SELECT/.test(tag) || (evt.target && evt.target.isContentEditable)) return;
    var dlg = document.getElementById("dlg");
    if (dlg && dlg.open) return;
    if (evt.key === "/") {
      var f = document.getElementById("filter-labels");
      if (f) { evt.preventDefault(); f.focus(); }
      return;
    }
    if (evt.key === " " && /BUTTON|A|SUMMARY/.test(tag)) return; // space activates the focused control
    var btn = document.querySelector('[data-key="' + (evt.key === " " ? " " : evt.key) + '"]:not([disabled])');
    if (btn) { evt.preventDefault(); btn.click(); }
  });

  document.addEventListener("change", function (evt) {
    var form = evt.target && evt.target.form;
    if (form && form.hasAttribute("data-autosubmit")) form.requestSubmit();
  });

  function start() {
    if (window.htmx) {
      htmx.config.allowNestedOobSwaps = false;
      htmx.config.wsReconnectDelay = function (retry) {
        return Math.min(500 * Math.pow(2, retry), 4000) * (0.5 + Math.random() / 2);
      };
    }
    readClock();
    remember();
    tick();
    setInterval(tick, 250);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
