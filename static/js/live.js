// Live updates: the server says "ticket N changed" over a websocket; the page then fetches its
// own fragment again over HTTP (with the usual permission checks) and swaps it in. If the user
// is typing in a form inside the region, it shows a notice instead of throwing their text away.
(function () {
  "use strict";
  var region = document.getElementById("live-region");
  if (!region || !window.WebSocket) return;
  var scheme = location.protocol === "https:" ? "wss://" : "ws://";
  var delay = 1000;

  function busy() {
    // Typed by the user: differs from what the server rendered (some fields come pre-filled).
    var fields = region.querySelectorAll("textarea, input[type=text], input[type=file]");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].value !== fields[i].defaultValue) return true;
    }
    // Tickets ticked for a bulk action: a refresh would untick them.
    var boxes = region.querySelectorAll("input[type=checkbox]");
    for (var j = 0; j < boxes.length; j++) {
      if (boxes[j].checked !== boxes[j].defaultChecked) return true;
    }
    return false;
  }

  function notice() {
    if (document.getElementById("live-notice")) return;
    var p = document.createElement("p");
    p.id = "live-notice";
    p.className = "message warning";
    p.setAttribute("role", "status");
    p.innerHTML = 'This page changed since you opened it. <a href="">Reload</a> to see the latest.';
    region.parentNode.insertBefore(p, region);
  }

  function refresh() {
    if (busy()) { notice(); return; }
    fetch(region.dataset.liveFragment, { credentials: "same-origin", headers: { "X-Requested-With": "live" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) { region.innerHTML = html; region.dataset.refreshed = String(Date.now()); })
      .catch(function () { notice(); });
  }

  function connect() {
    var socket = new WebSocket(scheme + location.host + region.dataset.liveSocket);
    socket.onopen = function () { delay = 1000; region.dataset.live = "connected"; };
    socket.onmessage = refresh;
    socket.onclose = function (event) {
      region.dataset.live = "closed";
      if (event.code === 4401 || event.code === 4403) return;  // not allowed: do not retry
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
