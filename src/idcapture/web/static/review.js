/* idcapture province review pages. No inline code (the content-security policy forbids
   it): the pages are wired up here. */
(function () {
  "use strict";
  var S = JSON.parse(document.getElementById("i18n").textContent);
  var meta = document.querySelector('meta[name="csrf-token"]');
  var CSRF = meta ? meta.content : "";
  function t(k) { return S[k] || k; }
  function $(id) { return document.getElementById(id); }

  function post(path, body) {
    return fetch(path, { method: "POST", credentials: "same-origin",
                         headers: { "Accept": "application/json",
                                    "Content-Type": "application/json", "X-CSRF-Token": CSRF },
                         body: JSON.stringify(body) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          if (!r.ok) {
            if (r.status === 401) { window.location.assign("/login"); }
            throw new Error(j.error || t("error.generic"));
          }
          return j;
        });
      });
  }
  function fail(err) {
    var b = $("error-banner");
    if (b) { b.textContent = t("error.generic") + ": " + err.message; b.hidden = false; }
  }
  var ls = $("lang-switch");
  if (ls) {
    ls.addEventListener("click", function () {
      post("/lang", { lang: ls.dataset.lang }).then(function () { window.location.reload(); }, fail);
    });
  }
  var lo = $("logout");
  if (lo) {
    lo.addEventListener("click", function () {
      post("/logout", {}).then(function () { window.location.assign("/login"); }, fail);
    });
  }
  var form = $("decision-form");
  if (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var chosen = form.querySelector('input[name="decision"]:checked');
      if (!chosen) { fail(new Error(t("review.choose"))); return; }
      var members = $("members").dataset.members.split(",").map(function (x) {
        return parseInt(x, 10); });
      post("/api/decision", { members: members, decision: chosen.value, note: $("note").value })
        .then(function () { window.location.reload(); }, fail);
    });
  }
})();
