// The emailed acknowledgement link carries its code after "#": browsers never send that part
// to a server, so the code is in no access log. Post it to the page, and take it out of the
// address bar (and the history) first.
(function () {
  "use strict";
  var form = document.getElementById("acknowledge-code");
  var code = window.location.hash.slice(1);
  if (!form || !code) {
    return;
  }
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
  form.elements.code.value = decodeURIComponent(code);
  form.submit();
})();
