/* Live updates for the host console: a websocket tells the page when something changed. */
(function () {
  "use strict";
  var main = document.querySelector("main[data-live]");
  if (!main) return;
  var canned = document.getElementById("canned");
  var reply = document.getElementById("reply-text");
  if (canned && reply) canned.addEventListener("change", function () { if (canned.value) reply.value = canned.value; });

  function refreshTranscript() {
    var id = main.getAttribute("data-handoff");
    var after = main.getAttribute("data-last") || "0";
    fetch("/console/handoffs/" + id + "/messages?after=" + after, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var box = document.getElementById("transcript");
        data.messages.forEach(function (m) {
          var div = document.createElement("div");
          div.className = "msg " + (m.direction === "in" ? "in" : m.author);
          div.setAttribute("data-id", m.id);
          div.textContent = m.text || "";
          box.appendChild(div);
          main.setAttribute("data-last", m.id);
        });
      });
  }

  // What the clock changes (an offer-first window closing, the minutes waiting) no event announces.
  var refreshIn = Number(main.getAttribute("data-refresh-in"));
  if (refreshIn > 0) setTimeout(function () { location.reload(); }, refreshIn * 1000);

  var scheme = location.protocol === "https:" ? "wss://" : "ws://";
  var socket = new WebSocket(scheme + location.host + "/console/ws");
  socket.onmessage = function (event) {
    var data = JSON.parse(event.data);
    if (data.type === "ping") return;
    if (main.getAttribute("data-live") === "dashboard") location.reload();
    else if (String(data.handoff_id) === main.getAttribute("data-handoff")) refreshTranscript();
  };
})();
