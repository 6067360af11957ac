/* Counter console keyboard shortcuts. Each shortcut only clicks (or focuses) the element that
   carries it in data-shortcut, so a key and a mouse click run the same code path; the keys are
   shown as <kbd> hints on the buttons. Keys typed into a field are left alone (Escape leaves it). */
(function () {
  "use strict";

  function isTyping(element) {
    if (!element || element === document.body) return false;
    return element.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented || event.repeat) return;
    if (isTyping(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var key = event.key.length === 1 ? event.key.toLowerCase() : "";
    if (!key) return;
    var target = document.querySelector('[data-shortcut="' + CSS.escape(key) + '"]');
    if (!target || target.disabled) return;
    event.preventDefault();
    if (isTyping(target)) {
      target.focus();
    } else {
      target.click();
    }
  });

  // A poll answered by the sign-in page (the session ended): show it, don't paste it in.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || !xhr.responseURL) return;
    var answered = new URL(xhr.responseURL).pathname;
    var asked = new URL(event.detail.pathInfo.requestPath, window.location.href).pathname;
    if (answered !== asked) {
      event.detail.shouldSwap = false;
      window.location.assign(xhr.responseURL);
    }
  });
})();
