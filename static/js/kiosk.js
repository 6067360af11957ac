// The check-in kiosk: keep the code field focused for the QR scanner (it types like a keyboard
// and ends with Enter, which submits the form), on-screen keypads, and going back to the start
// screen when nobody has touched the kiosk for a while. Everything works without this file.
(function () {
  "use strict";

  function setUpKeypads() {
    document.querySelectorAll("[data-keypad-for]").forEach(function (pad) {
      var input = document.getElementById(pad.getAttribute("data-keypad-for"));
      if (!input) return;
      pad.hidden = false;
      pad.addEventListener("click", function (event) {
        var key = event.target.closest("[data-key]");
        if (!key) return;
        var value = key.getAttribute("data-key");
        var max = parseInt(input.getAttribute("maxlength") || "40", 10);
        if (value === "back") input.value = input.value.slice(0, -1);
        else if (value === "clear") input.value = "";
        else if (input.value.length < max) input.value += value;
        input.focus();
      });
    });
  }

  function keepScannerFocus() {
    var form = document.querySelector("[data-kiosk-scan]");
    if (!form) return;
    var input = form.querySelector("input[name=code]");  // focused by its autofocus
    // A tap anywhere that is not a link, button or field puts the focus back in the code field.
    document.addEventListener("click", function (event) {
      if (!event.target.closest("a, button, input, select, textarea")) input.focus();
    });
  }

  function returnWhenIdle() {
    var body = document.body;
    var seconds = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
    var target = body.getAttribute("data-idle-return");
    if (!seconds || !target) return;
    var timer;
    function restart() {
      clearTimeout(timer);
      timer = setTimeout(function () { window.location.assign(target); }, seconds * 1000);
    }
    ["pointerdown", "keydown", "input"].forEach(function (name) {
      document.addEventListener(name, restart, { passive: true });
    });
    restart();
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpKeypads();
    keepScannerFocus();
    returnWhenIdle();
  });
})();
