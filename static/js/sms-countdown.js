// SMS check page (R-S5): a live countdown to the 24-hour deadline and a wait on the
// resend buttons. The server renders the remaining time and the deadline itself, and
// every form posts normally, so the page works without this script; the seconds come
// from the server (data-countdown), so a wrong clock on the phone changes nothing.
(function () {
  "use strict";
  var started = Date.now();

  function elapsed() { return Math.floor((Date.now() - started) / 1000); }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function clock(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return h + ":" + pad(m) + ":" + pad(s);
  }

  var box = document.querySelector("[data-countdown]");
  var total = box ? parseInt(box.getAttribute("data-countdown"), 10) : NaN;
  var value = box ? box.querySelector(".countdown-value") : null;
  var buttons = Array.prototype.slice.call(document.querySelectorAll("button[data-wait]"));
  buttons.forEach(function (b) { b.setAttribute("data-label", b.textContent); });

  function tick() {
    var passed = elapsed();
    if (value && !isNaN(total)) {
      var left = Math.max(0, total - passed);
      value.textContent = clock(left);
      if (left === 0) {
        box.textContent = box.getAttribute("data-done");
        Array.prototype.forEach.call(document.querySelectorAll("[data-sms-form] button, [data-sms-form] input"),
          function (el) { el.disabled = true; });
        buttons = [];
        return false;
      }
    }
    buttons.forEach(function (b) {
      var wait = Math.max(0, parseInt(b.getAttribute("data-wait"), 10) - passed);
      b.disabled = wait > 0;
      b.textContent = wait > 0 ? b.getAttribute("data-label") + " (" + wait + "s)" : b.getAttribute("data-label");
    });
    return true;
  }

  if (tick()) {
    var timer = window.setInterval(function () { if (!tick()) { window.clearInterval(timer); } }, 1000);
  }
})();
