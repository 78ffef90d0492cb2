/* idcapture station frontend. No inline code anywhere (the content-security policy
   forbids it): every page is wired up here from its data-page attribute. */
(function () {
  "use strict";
  var S = JSON.parse(document.getElementById("i18n").textContent);
  var LANG = document.body.dataset.lang || "zh";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var CSRF = meta ? meta.content : "";
  function t(k) { return S[k] || k; }
  function $(id) { return document.getElementById(id); }
  function show(el, on) { if (el) { el.hidden = !on; } }

  function api(path, body) {
    var opts = { method: body === undefined ? "GET" : "POST", credentials: "same-origin",
                 headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.headers["X-CSRF-Token"] = CSRF;
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) {
          if (r.status === 401) { window.location.assign("/login"); }
          var e = new Error(j.error || t("error.generic")); e.status = r.status; throw e;
        }
        return j;
      });
    });
  }
  function fail(err) {
    var b = $("error-banner");
    if (b) { b.textContent = t("error.generic") + ": " + err.message; b.hidden = false;
             setTimeout(function () { b.hidden = true; }, 6000); }
  }

  /* ---------------------------------------------------------------- common */
  var ls = $("lang-switch");
  if (ls) {
    ls.addEventListener("click", function () {
      api("/lang", { lang: ls.dataset.lang }).then(function () { window.location.reload(); }, fail);
    });
  }
  var lo = $("logout");
  if (lo) {
    lo.addEventListener("click", function () {
      api("/logout", {}).then(function () { window.location.assign("/login"); }, fail);
    });
  }
  document.querySelectorAll("button.reopen").forEach(function (b) {
    b.addEventListener("click", function () {
      api("/api/check/reopen", { record_id: b.dataset.record, step: b.dataset.step })
        .then(function (j) { window.location.assign(j.next || "/capture"); }, fail);
    });
  });

  function deviceBanner(devices) {
    var b = $("device-banner");
    if (!b || !devices) { return; }
    var bad = [];
    Object.keys(devices).forEach(function (role) {
      var d = devices[role];
      if (d.state === "removed" || d.state === "unavailable" || d.state === "error"
          || d.state === "faulted") {
        bad.push(t("role." + role) + ": " + (d.state === "removed" ? t("device.removed")
          : d.state === "faulted" ? t("device.faulted") : t("device.unavailable")));
      }
    });
    b.textContent = bad.join(" · ");
    b.hidden = bad.length === 0;
    b.dataset.devices = bad.length ? "problem" : "ok";
  }

  var page = document.body.dataset.page;

  /* ---------------------------------------------------------------- today */
  if (page === "today") {
    var search = $("search");
    search.addEventListener("input", function () {
      var q = search.value.trim().toLowerCase();
      document.querySelectorAll("tr[data-search]").forEach(function (tr) {
        tr.hidden = q !== "" && tr.dataset.search.toLowerCase().indexOf(q) < 0;
      });
    });
    search.focus();
  }

  /* ---------------------------------------------------------------- devices */
  if (page === "devices") {
    var paint = function (j) {
      Object.keys(j.station).forEach(function (role) {
        var d = j.station[role];
        var tr = document.querySelector('#station-devices tr[data-role="' + role + '"]');
        if (!tr) { return; }
        tr.querySelector(".address").textContent = d.address;
        tr.querySelector(".state").textContent = d.state + (d.problem ? " (" + d.problem + ")" : "");
        tr.className = "dev-" + d.state;
      });
      if (j.discovered) {
        var tb = document.querySelector("#discovered tbody");
        tb.textContent = "";
        j.discovered.forEach(function (d) {
          var tr = document.createElement("tr");
          [d.kind, d.address, d.description].forEach(function (v) {
            var td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
          });
          tb.appendChild(tr);
        });
      }
      deviceBanner(j.station);
    };
    api("/api/devices?discover=1").then(paint, fail);
    setInterval(function () { api("/api/devices").then(paint, function () {}); }, 1500);
    $("discover").addEventListener("click", function () {
      api("/api/devices?discover=1").then(paint, fail);
    });
    document.querySelectorAll("button.reconnect").forEach(function (b) {
      b.addEventListener("click", function () {
        api("/api/devices/reconnect", { role: b.dataset.role }).then(paint, fail);
      });
    });
  }

  /* ---------------------------------------------------------------- export */
  if (page === "export") {
    var poll = null;
    var render = function (j) {
      var p = $("export-progress");
      p.max = Math.max(1, j.total || 1); p.value = j.done || 0;
      $("export-count").textContent = j.state === "idle" ? "" :
        (j.done || 0) + " / " + (j.total || 0) + " (" + j.state + ")";
      document.body.dataset.exportState = j.state;
      if (j.state === "failed") { fail(new Error(j.error)); }
      if (j.state !== "done") { return; }
      if (poll) { clearInterval(poll); poll = null; }
      show($("export-result"), true);
      $("export-location").textContent = j.location;
      $("export-exported").textContent = j.report.exported;
      $("export-verify").textContent = j.verify.ok ? "OK (" + j.verify.files_checked + ")" :
        j.verify.problems.join("; ");
      var lo = document.querySelector("#export-left-out tbody");
      lo.textContent = "";
      j.report.left_out.forEach(function (x) {
        var tr = document.createElement("tr");
        [x.registration_number, x.id_number, x.reasons.join("; ")].forEach(function (v) {
          var td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
        });
        lo.appendChild(tr);
      });
      var mf = document.querySelector("#export-manifest tbody");
      mf.textContent = "";
      Object.keys(j.manifest.files).sort().forEach(function (name) {
        var f = j.manifest.files[name];
        var tr = document.createElement("tr");
        [name, String(f.size), f.sha256.slice(0, 16) + "…"].forEach(function (v) {
          var td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
        });
        mf.appendChild(tr);
      });
    };
    api("/api/export/status").then(render, fail);
    $("export-build").addEventListener("click", function () {
      show($("export-result"), false);
      api("/api/export/start", { force: $("export-force").checked }).then(function (j) {
        render(j);
        if (!poll) {
          poll = setInterval(function () { api("/api/export/status").then(render, fail); }, 300);
        }
      }, fail);
    });
  }

  /* ---------------------------------------------------------------- capture */
  if (page === "capture") {
    var state = null;
    var busy = false;
    var act = function (action, body) {
      if (busy) { return; }
      busy = true;
      api("/api/capture/" + action, body || {}).then(function (j) { busy = false; render(j); },
        function (e) { busy = false; fail(e); });
    };
    var setImg = function (el, sha) {
      var src = sha ? "/api/blob/" + sha : "";
      if (el.dataset.sha !== (sha || "")) {
        el.dataset.sha = sha || "";
        if (src) { el.src = src; } else { el.removeAttribute("src"); }
      }
    };
    var render = function (j) {
      state = j;
      deviceBanner(j.devices);
      var s = j.session;
      var st = s ? s.state : "none";
      document.body.dataset.state = st;
      $("step-title").textContent = s ? t("capture.step." + st) +
        (s.correction ? " · " + t("capture.correction") + " " + s.correction : "") : t("capture.title");
      $("step-message").textContent = s ? s.message : t("capture.none");
      var r = $("retry");
      if (s && s.retry) { r.textContent = t("capture.retry") + ": " + s.retry.message; r.hidden = false; }
      else { r.hidden = true; }
      var rf = $("refused"), ri = $("refused-img");
      if (j.refused_finger) {
        var src = "/api/capture/refused-finger?n=" + j.refused_finger.n;
        if (ri.dataset.src !== src) { ri.dataset.src = src; ri.src = src; }
        $("refused-reason").textContent = s && s.retry ? s.retry.message : "";
        rf.hidden = false;
      } else { rf.hidden = true; ri.removeAttribute("src"); ri.dataset.src = ""; }
      var ex = s ? s.expects : [];
      show($("btn-start"), !s || s.finished);
      show($("btn-next"), false);
      show($("btn-accept"), ex.indexOf("decision") >= 0);
      show($("btn-reject"), ex.indexOf("decision") >= 0);
      show($("note-label"), ex.indexOf("decision") >= 0);
      show($("btn-manual"), st === "portrait");
      show($("btn-keep"), ex.indexOf("keep") >= 0);
      show($("btn-save"), ex.indexOf("save") >= 0);
      show($("btn-cancel"), !!s && !s.finished);
      var order = ["card", "decision", "portrait", "right-thumb", "left-thumb", "review", "saved"];
      var at = order.indexOf(st);
      document.querySelectorAll("#steps li").forEach(function (li) {
        var i = order.indexOf(li.dataset.step);
        li.className = li.dataset.step === st || (st === "decision" && li.dataset.step === "card")
          ? "current" : (at > i ? "done" : "");
        var b = li.querySelector("button.redo");
        if (b) { b.disabled = !(s && !s.finished && at >= 2 && (at > i || li.dataset.step === st)); }
      });
      var rows = document.querySelectorAll("#compare tbody tr");
      rows.forEach(function (tr) {
        var f = tr.dataset.field;
        var c = j.card ? j.card[f] : ""; var ro = j.roster ? j.roster[f] : "";
        if (f === "sex") { c = c ? t("sex." + c) : ""; ro = ro ? t("sex." + ro) : ""; }
        tr.querySelector(".card").textContent = c || "";
        tr.querySelector(".roster").textContent = ro || "";
        var cmp = j.comparison ? j.comparison[f] : null;
        tr.className = cmp && cmp.differ ? "differ" : "";
      });
      setImg($("portrait-img"), j.portrait ? j.portrait.sha256 : "");
      $("portrait-score").textContent = j.portrait && j.portrait.score !== null ?
        t("capture.quality") + " " + j.portrait.score : "";
      setImg($("card-photo"), j.card_photo || "");
      ["right-thumb", "left-thumb"].forEach(function (pos) {
        var f = j.fingers ? j.fingers[pos] : null;
        setImg($("finger-" + pos), f ? f.sha256 : "");
        $("score-" + pos).textContent = f ? t("capture.quality") + " " + f.score + " · " +
          t("capture.attempts") + " " + f.attempts : "";
      });
      var fm = (j.checks || []).filter(function (c) { return c.name === "face-vs-card"; })[0];
      $("face-match").textContent = fm ? t("outcome." + fm.outcome) + (fm.message ? " — " + fm.message : "") : "";
      var cf = (j.checks || []).filter(function (c) { return c.name === "card-fingerprint"; })[0];
      show($("card-fingerprint"), !!cf);
      $("card-fingerprint-result").textContent = cf ? t("outcome." + cf.outcome) + (cf.message ? " — " + cf.message : "") : "";
      var tb = document.querySelector("#checks tbody");
      tb.textContent = "";
      (j.checks || []).forEach(function (c) {
        var tr = document.createElement("tr");
        tr.className = "o-" + c.outcome;
        [c.label || c.name, t("outcome." + c.outcome), c.message].forEach(function (v) {
          var td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
        });
        tb.appendChild(tr);
      });
    };
    var refresh = function () {
      api("/api/capture/state").then(render, function () {});
    };
    refresh();
    setInterval(refresh, 400);

    $("btn-start").addEventListener("click", function () { act("start"); });
    $("btn-next").addEventListener("click", function () { act("start"); });
    $("btn-accept").addEventListener("click", function () {
      act("decide", { accept: true, note: $("decision-note").value });
    });
    $("btn-reject").addEventListener("click", function () {
      act("decide", { accept: false, note: $("decision-note").value });
    });
    $("btn-manual").addEventListener("click", function () { act("manual"); });
    $("btn-keep").addEventListener("click", function () { act("keep"); });
    $("btn-save").addEventListener("click", function () { act("save"); });
    $("btn-cancel").addEventListener("click", function () { act("cancel", { reason: "operator" }); });
    document.querySelectorAll("button.redo").forEach(function (b) {
      b.addEventListener("click", function () { act("redo", { step: b.dataset.step }); });
    });
    document.addEventListener("keydown", function (e) {
      var tag = (e.target && e.target.tagName) || "";
      if (tag === "INPUT" || tag === "TEXTAREA" || e.ctrlKey || e.altKey || e.metaKey) { return; }
      var map = { n: "btn-start", a: "btn-accept", r: "btn-reject", m: "btn-manual",
                  k: "btn-keep", s: "btn-save" };
      var id = map[e.key.toLowerCase()];
      var b = id ? $(id) : null;
      if (b && !b.hidden) { e.preventDefault(); b.click(); }
    });

    /* live preview: binary WebSocket messages, drawn on the canvas as they come */
    var canvas = $("preview");
    var ctx = canvas.getContext("2d");
    var stats = { frames: 0, latencies: [], fpsTimes: [], last: null };
    window.__idcStats = stats;
    var drawing = false;
    var connect = function () {
      var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") +
                             location.host + "/ws/preview");
      ws.binaryType = "arraybuffer";
      ws.onmessage = function (ev) {
        if (drawing) { return; }
        var buf = ev.data;
        var n = new DataView(buf).getUint32(0);
        var m = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, n)));
        var jpeg = new Blob([new Uint8Array(buf, 4 + n)], { type: "image/jpeg" });
        drawing = true;
        createImageBitmap(jpeg).then(function (bmp) {
          if (canvas.width !== bmp.width) { canvas.width = bmp.width; canvas.height = bmp.height; }
          ctx.drawImage(bmp, 0, 0);
          bmp.close();
          drawing = false;
          var now = Date.now();
          stats.frames += 1;
          stats.latencies.push(now - m.t);
          if (stats.latencies.length > 600) { stats.latencies.shift(); }
          stats.fpsTimes.push(now);
          while (stats.fpsTimes.length && now - stats.fpsTimes[0] > 2000) { stats.fpsTimes.shift(); }
          stats.last = m;
          $("fps").textContent = (stats.fpsTimes.length / 2).toFixed(0) + " " + t("capture.fps");
          var ins = $("instruction");
          ins.textContent = m.text && m.text[LANG] ? m.text[LANG] : "";
          ins.className = "instruction s-" + m.state;
        }, function () { drawing = false; });
      };
      ws.onclose = function () { setTimeout(connect, 1000); };
    };
    connect();
  }
  /* ---------------------------------------------------------------- simulator panel
     (only on a server whose devices are the in-process simulators) */
  if ($("sim-panel")) {
    var simSay = function (text) { $("sim-status").textContent = text; };
    var simSeed = function () { return 1 + Math.floor(Math.random() * 100000); };
    var simClick = function (id, path, body, done) {
      $(id).addEventListener("click", function () {
        var b = typeof body === "function" ? body() : body;
        api(path, b).then(function (j) { simSay(done(j)); }, fail);
      });
    };
    var placed = function (j) { return t("sim.placed") + j.name + " " + j.id_number; };
    simClick("sim-next-card", "/api/sim/next-card", {}, placed);
    simClick("sim-stranger-card", "/api/sim/next-card", { on_roster: false }, placed);
    simClick("sim-remove-card", "/api/sim/card", { remove: true },
             function () { return t("sim.removed"); });
    simClick("sim-good-thumb", "/api/sim/finger",
             function () { return { seed: simSeed(), style: "good" }; },
             function () { return t("sim.finger"); });
    simClick("sim-wet-thumb", "/api/sim/finger",
             function () { return { seed: simSeed(), style: "wet" }; },
             function () { return t("sim.finger"); });
    simClick("sim-toggle-sensor", "/api/sim/unplug", { role: "sensor", toggle: true },
             function (j) { return j.unplugged ? t("sim.unplugged") : t("sim.replugged"); });
  }
})();
