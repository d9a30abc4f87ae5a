/* Kiosk page (checkin/templates/door/kiosk.html): poll /kiosk/state.json, swap the QR when the
   time step changes, tick the clock every second from the server's time, refresh the list.
   Plain ES5 + fetch so older door tablets run it; without fetch the page just reloads. */
(function () {
  "use strict";
  var body = document.body;
  var url = body.getAttribute("data-state-url");
  var pollMs = parseInt(body.getAttribute("data-poll"), 10) || 3000;
  var stepMs = (parseInt(body.getAttribute("data-step-seconds"), 10) || 15) * 1000;
  var step = body.getAttribute("data-step");
  var enabled = step !== "";
  // Server clock minus ours, so a tablet with a wrong clock still shows Beijing time.
  var offset = parseInt(body.getAttribute("data-now-ms"), 10) - Date.now();
  var expiresAt = Date.now() + parseInt(body.getAttribute("data-expires-in"), 10) * 1000;

  var el = function (id) { return document.getElementById(id); };
  var clock = el("clock"), date = el("date"), status = el("status"), recent = el("recent");
  var qrBox = el("qr"), qrSvg = el("qr-svg"), bar = el("countdown");

  if (!window.fetch) {
    setTimeout(function () { location.reload(); }, Math.max(1000, expiresAt - Date.now()));
    return;
  }

  var format = null;
  try {
    format = new Intl.DateTimeFormat("zh-CN", {
      timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23"
    });
  } catch (e) { /* no time-zone support: the clock updates with each poll instead */ }

  function tick() {
    if (format) clock.textContent = format.format(new Date(Date.now() + offset));
    if (bar) bar.style.width = (100 * Math.max(0, expiresAt - Date.now()) / stepMs) + "%";
    // A code is accepted during its own step and the next one; after that, don't show it.
    if (qrBox) qrBox.className = Date.now() > expiresAt + stepMs ? "qr-box stale" : "qr-box";
  }

  function showRecent(rows) {
    while (recent.firstChild) recent.removeChild(recent.firstChild);
    if (!rows.length) {
      var empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = "暂无签到";
      recent.appendChild(empty);
    }
    rows.forEach(function (row) {
      var li = document.createElement("li");
      var name = document.createElement("span");
      var time = document.createElement("time");
      name.textContent = row.name;
      time.textContent = row.time;
      li.appendChild(name);
      li.appendChild(time);
      recent.appendChild(li);
    });
  }

  function apply(state) {
    if (state.enabled !== enabled) { location.reload(); return; }  // the counselor switched modes
    offset = state.now_ms - Date.now();
    if (!format) clock.textContent = state.clock;
    date.textContent = state.date;
    if (enabled && String(state.step) !== step) {
      qrSvg.innerHTML = state.qr_svg;  // our own server's SVG from segno
      step = String(state.step);
    }
    if (enabled) expiresAt = Date.now() + state.expires_in * 1000;
    showRecent(state.recent);
    status.textContent = "";
  }

  function refused(message) {
    // Revoked link: stop showing a code that can no longer be used.
    var main = document.querySelector("main");
    main.innerHTML = "";
    var off = document.createElement("div");
    off.className = "off";
    off.textContent = message || "平板签到链接已失效";
    main.appendChild(off);
    qrBox = bar = null;
    showRecent([]);
  }

  function poll() {
    fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (data) {
          if (response.status === 403) { refused(data.error); return "stop"; }
          if (!response.ok) throw new Error(String(response.status));
          apply(data);
        });
      })
      .then(function (result) { if (result !== "stop") schedule(); })
      .catch(function () {
        status.textContent = "网络连接中断，正在重试…";
        schedule();
      });
  }

  function schedule() {
    // Poll every few seconds, and right after the code changes so the swap is on time.
    var untilStep = expiresAt - Date.now() + 200;
    setTimeout(poll, Math.max(500, enabled && untilStep < pollMs ? untilStep : pollMs));
  }

  tick();
  setInterval(tick, 250);
  schedule();
})();
