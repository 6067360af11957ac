/* Pushed updates with polling as the fallback (core/push.py, queues/streams.py).

   A live part of a page sits inside an element with hx-ext="sse", sse-connect="<stream>" and
   data-poll="<milliseconds>". Its parts refresh themselves with hx-trigger="sse:<event>, ow:poll":
   htmx-ext-sse fires the first when the stream says something changed; this file fires the
   second every data-poll milliseconds while the stream is not open (before it opens, after it
   fails, when there is no push server). An open stream costs no request at all; when it opens
   again after a failure, the parts refresh once to catch what they missed. */
(function () {
  "use strict";

  var state = new WeakMap(); // stream element -> {timer, opened}

  function parts(root) {
    return root.querySelectorAll('[hx-trigger*="ow:poll"]');
  }

  function refresh(root) {
    parts(root).forEach(function (part) { htmx.trigger(part, "ow:poll"); });
  }

  function entry(root) {
    var s = state.get(root);
    if (!s) { s = { timer: null, opened: false }; state.set(root, s); }
    return s;
  }

  function poll(root) {
    var s = entry(root);
    if (s.timer) { return; }
    var every = parseInt(root.dataset.poll, 10) || 5000;
    root.dataset.pushState = "polling";
    s.timer = window.setInterval(function () {
      if (!document.body.contains(root)) { window.clearInterval(s.timer); return; }
      refresh(root);
    }, every);
  }

  function pushed(root) {
    var s = entry(root);
    if (s.timer) { window.clearInterval(s.timer); s.timer = null; }
    root.dataset.pushState = "open";
    if (s.opened) { refresh(root); } // back after a failure: catch up once
    s.opened = true;
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[sse-connect][data-poll]").forEach(function (root) {
      if (root.dataset.pushState !== "open") { poll(root); }
    });
  });
  document.addEventListener("htmx:sseOpen", function (event) {
    var root = event.target.closest("[data-poll]");
    if (root) { pushed(root); }
  });
  document.addEventListener("htmx:sseError", function (event) {
    var root = event.target.closest("[data-poll]");
    if (root) { poll(root); }
  });
})();
