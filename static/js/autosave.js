// Drafts never lose data: a form marked data-autosave is saved in the background
// a moment after the applicant stops typing, and when the tab is hidden or closed.
// The server stores the fields exactly as on a normal "save draft" and answers 204.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch) { return; }
  var status = document.getElementById("autosave-status");
  var timer = null;
  var dirty = false;

  function save(useBeacon) {
    if (!dirty) { return; }
    dirty = false;
    var data = new FormData(form);
    data.append("save", "1");
    if (useBeacon && navigator.sendBeacon) {
      data.append("autosave", "1");
      navigator.sendBeacon(form.action || window.location.href, data);
      return;
    }
    fetch(form.action || window.location.href, {
      method: "POST", body: data, credentials: "same-origin", headers: { "X-Autosave": "1" }
    }).then(function (r) {
      if (status) { status.textContent = r.ok ? status.dataset.saved : status.dataset.failed; }
      if (!r.ok) { dirty = true; }
    }).catch(function () {
      dirty = true;
      if (status) { status.textContent = status.dataset.failed; }
    });
  }

  form.addEventListener("input", function () {
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(function () { save(false); }, 1500);
  });
  form.addEventListener("submit", function () { dirty = false; clearTimeout(timer); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { save(true); }
  });
})();
