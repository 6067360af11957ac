// The waiting-room screen: after each htmx poll, a call newer than the last one seen rings a
// chime and is spoken (speechSynthesis), oldest first. The first load announces nothing.
(function () {
  "use strict";

  var body = document.body;
  var speechLang = body.dataset.speechLang || "zh-CN";
  var lastSeen = null;
  var audio = null;
  var soundOn = false;
  var queue = [];
  var speaking = false;

  function newestId() {
    var now = document.querySelector("#live [data-last-call]");
    return now ? parseInt(now.dataset.lastCall, 10) || 0 : 0;
  }

  function chime(done) {
    if (!soundOn || !audio) { done(); return; }
    var start = audio.currentTime + 0.05;
    [[784, 0], [1047, 0.32]].forEach(function (note) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = note[0];
      gain.gain.setValueAtTime(0.0001, start + note[1]);
      gain.gain.exponentialRampToValueAtTime(0.5, start + note[1] + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + note[1] + 0.6);
      osc.connect(gain).connect(audio.destination);
      osc.start(start + note[1]);
      osc.stop(start + note[1] + 0.65);
    });
    window.setTimeout(done, 1000);
  }

  function say(text, done) {
    if (!soundOn || !("speechSynthesis" in window)) { done(); return; }
    var utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = speechLang;
    utterance.rate = 0.9;
    utterance.onend = done;
    utterance.onerror = done;
    window.speechSynthesis.speak(utterance);
  }

  function next() {
    if (speaking || !queue.length) { return; }
    speaking = true;
    var text = queue.shift();
    document.getElementById("announce").textContent = text;
    body.dataset.announced = text;
    chime(function () {
      say(text, function () { speaking = false; next(); });
    });
  }

  function announceNew() {
    var newest = newestId();
    if (lastSeen === null || newest <= lastSeen) {
      lastSeen = lastSeen === null ? newest : Math.max(lastSeen, newest);
      return;
    }
    var fresh = [];
    document.querySelectorAll("#live [data-call-id]").forEach(function (item) {
      if (parseInt(item.dataset.callId, 10) > lastSeen) { fresh.unshift(item.dataset.say); }
    });
    lastSeen = newest;
    queue = queue.concat(fresh);
    next();
  }

  function setSound(on) {
    soundOn = on;
    var button = document.getElementById("sound");
    button.setAttribute("aria-pressed", on ? "true" : "false");
    if (!button.dataset.off) { button.dataset.off = button.textContent; }
    button.textContent = on ? button.dataset.on : button.dataset.off;
  }

  function toggleSound() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!soundOn && Context) {
      audio = audio || new Context();
      audio.resume();
    }
    setSound(!soundOn);
  }

  function tick() {
    var clock = document.getElementById("clock");
    var format = new Intl.DateTimeFormat(speechLang, {
      hour: "2-digit", minute: "2-digit", hour12: false, timeZone: body.dataset.timeZone || undefined,
    });
    clock.textContent = format.format(new Date());
  }

  function offline(on) {
    body.classList.toggle("is-offline", on);
    document.getElementById("offline").hidden = !on;
  }

  document.addEventListener("DOMContentLoaded", function () {
    lastSeen = newestId();
    document.getElementById("sound").addEventListener("click", toggleSound);
    // A screen started with autoplay allowed (kiosk mode) needs no click to speak.
    var Context = window.AudioContext || window.webkitAudioContext;
    if (Context) {
      audio = new Context();
      if (audio.state === "running") { setSound(true); }
    }
    tick();
    window.setInterval(tick, 1000);
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id === "live") { offline(false); announceNew(); }
  });
  document.body.addEventListener("htmx:sendError", function () { offline(true); });
  document.body.addEventListener("htmx:responseError", function () { offline(true); });
})();
