/* 会议模式 slides (dashboard/slides.py): scale the 1600×900 stage to the window, step through
   the slides with the keys / a click, count them, and go full screen. Only acts on a page that
   has a .slides deck; the deck arrives with a Dash callback, so every listener looks it up. */
(function () {
  "use strict";
  var WIDE = window.matchMedia("(min-width: 768px)");
  var KEYS = {
    ArrowRight: 1, ArrowDown: 1, PageDown: 1, " ": 1, Enter: 1,
    ArrowLeft: -1, ArrowUp: -1, PageUp: -1, Backspace: -1,
    Home: -1e6, End: 1e6
  };

  function slides() {
    var deck = document.querySelector(".slides");
    return deck ? Array.prototype.slice.call(deck.querySelectorAll(".slide")) : [];
  }

  function scale() {
    var value = Math.min(window.innerWidth / 1600, window.innerHeight / 900);
    document.documentElement.style.setProperty("--slide-scale", String(value));
  }

  // The slide whose top is nearest the top of the window (the snapped one while presenting).
  function current(list) {
    var best = 0;
    var distance = Infinity;
    list.forEach(function (slide, i) {
      var d = Math.abs(slide.getBoundingClientRect().top);
      if (d < distance) { distance = d; best = i; }
    });
    return best;
  }

  function count() {
    var el = document.getElementById("meeting-mode-counter");
    var list = slides();
    if (!el) { return; }
    var label = list.length ? (current(list) + 1) + " / " + list.length : "";
    if (el.textContent !== label) { el.textContent = label; }
  }

  function go(step) {
    var list = slides();
    if (!list.length) { return false; }
    var i = Math.max(0, Math.min(list.length - 1, current(list) + step));
    list[i].scrollIntoView({ block: "start", behavior: "instant" });
    count();
    return true;
  }

  function fullscreen() {
    if (document.fullscreenElement) {
      document.exitFullscreen();
    } else if (document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(function () { /* refused: stay */ });
    }
  }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  document.addEventListener("keydown", function (event) {
    var step = KEYS[event.key];
    if (!step || !WIDE.matches || event.altKey || event.ctrlKey || event.metaKey) { return; }
    // Keys meant for a field, a button or a link keep their usual meaning.
    if (typing(event.target) || (event.key !== " " && event.target.closest && event.target.closest("a, button"))) { return; }
    if (go(event.shiftKey && event.key === " " ? -1 : step)) { event.preventDefault(); }
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) { return; }
    if (target.closest("#meeting-mode-fullscreen")) { fullscreen(); return; }
    if (target.closest("#meeting-mode-prev")) { go(-1); return; }
    if (target.closest("#meeting-mode-next")) { go(1); return; }
    // A click on a slide advances, as a presenter's clicker would; not while selecting text.
    if (!WIDE.matches || !target.closest(".slide") || target.closest("a, button")) { return; }
    if (String(window.getSelection ? window.getSelection() : "")) { return; }
    go(1);
  });

  window.addEventListener("resize", scale);
  window.addEventListener("scroll", count, { passive: true });
  scale();
  function watch() {
    new MutationObserver(count).observe(document.body, { childList: true, subtree: true });
    count();
  }
  if (document.body) { watch(); } else { document.addEventListener("DOMContentLoaded", watch); }
})();
