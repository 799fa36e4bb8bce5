// 类型识别 (issue 12): offer only the certificate types that the chosen 主办单位性质 may
// use. The server already filters the list once a nature is known and names the right
// type when the choice is wrong, and a <noscript> button lists the types without this
// script; here the list simply follows the nature select as it changes.
(function () {
  "use strict";
  var nature = document.getElementById("id_nature");
  var cert = document.getElementById("id_certificate_type");
  var data = document.getElementById("certificate-types");
  if (!nature || !cert || !data) { return; }
  var all = JSON.parse(data.textContent);

  function filter() {
    var code = nature.value, current = cert.value;
    while (cert.options.length > 1) { cert.remove(1); }  // keep the "请选择" option
    all.forEach(function (t) {
      if (code === "" || (" " + t.natures + " ").indexOf(" " + code + " ") !== -1) {
        var o = new Option(t.label, t.value);
        o.setAttribute("data-natures", t.natures);
        cert.add(o);
      }
    });
    cert.value = current;
    if (cert.value !== current) { cert.value = ""; }
  }

  nature.addEventListener("change", filter);
  filter();
})();
