// Uploads that survive a slow phone connection: a progress bar, a clear message,
// and a retry that resends the same file without choosing it again.
// Without JavaScript the forms post normally.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-upload]");
  Array.prototype.forEach.call(forms, function (form) {
    var bar = form.querySelector("progress");
    var msg = form.querySelector(".upload-msg");
    var retry = form.querySelector(".retry");
    var last = null;

    function send(data) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      bar.hidden = false; bar.value = 0; retry.hidden = true; msg.textContent = "";
      xhr.upload.onprogress = function (e) { if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); } };
      xhr.onload = function () {
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
        msg.textContent = body.message || (xhr.status === 200 ? "OK" : String(xhr.status));
        if (xhr.status === 200) { window.location.reload(); }
        else if (xhr.status >= 500 || xhr.status === 0) { retry.hidden = false; }
        bar.hidden = true;
      };
      xhr.onerror = xhr.ontimeout = function () {
        msg.textContent = form.dataset.failed || "⚠";
        retry.hidden = false; bar.hidden = true;
      };
      xhr.timeout = 120000;
      xhr.send(data);
    }

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      last = new FormData(form);
      send(last);
    });
    retry.addEventListener("click", function () { if (last) { send(last); } });
  });

  // The desktop page shows phone uploads as they arrive.
  var box = document.getElementById("materials");
  if (box && box.dataset.statusUrl) {
    var seen = parseInt(box.dataset.total || "0", 10);
    setInterval(function () {
      fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (d) { if (d.total !== seen) { window.location.reload(); } })
        .catch(function () {});
    }, 5000);
  }
})();
