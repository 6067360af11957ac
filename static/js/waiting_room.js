// The waiting room's page (core/waiting_room.py): between two visits to the server, which come
// only shortly before the line can reach this place (far back, a minute apart), the position
// shown counts down at the admission rate the server gave, every 10 s, never below 1. The
// server's next answer, when the page refreshes itself, replaces the estimate. Without this
// file the page shows the position of its last visit.
(function () {
  "use strict";
  var number = document.querySelector("[data-waiting-position]");
  if (!number) return;
  var position = parseInt(number.getAttribute("data-waiting-position"), 10);
  var rate = parseFloat(number.getAttribute("data-waiting-rate"));
  if (!(position > 1) || !(rate > 0)) return;
  var started = Date.now();
  var timer = setInterval(function () {
    var now = Math.max(1, Math.ceil(position - ((Date.now() - started) / 1000) * rate));
    number.textContent = String(now);
    if (now === 1) clearInterval(timer);
  }, 10000);
})();
