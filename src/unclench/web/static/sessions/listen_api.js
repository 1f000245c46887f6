// Shared by the session player and "Right now" on home: the listening log's API, the m:ss clock and the count of
// seconds actually heard.
(function () {
  "use strict";
  function fmt(s) {
    s = Math.max(0, Math.floor(s));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  async function api(method, url, body) {
    const response = await fetch(url, {
      method: method,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      keepalive: true,
    });
    if (!response.ok) throw new Error("save failed: " + response.status);
    return response.json();
  }

  // One listen per page: started once (with the tension before, when given), then updated; its id lands in
  // box.dataset.listen.
  function listenLog(sessionId, box) {
    let starting = null;
    return {
      start: function (before) {
        if (!starting) {
          starting = api("POST", "/api/sessions/" + sessionId + "/listens", { tension_before: before }).then(function (l) {
            box.dataset.listen = l.id;
            return l.id;
          });
        }
        return starting;
      },
      save: function (body) {
        if (!starting) return Promise.resolve();
        return starting.then(function (id) { return api("PATCH", "/api/sessions/listens/" + id, body); });
      },
    };
  }

  // Seconds of the audio actually played. Each time update adds how far playback moved on, but never more than the
  // time that really passed (and a little): a seek forward is not listening, while a busy page whose time updates
  // come seconds apart still counts all it played. `mark()` after a seek or a fresh start.
  function heardCounter(audio) {
    let heard = 0;
    let lastTime = audio.currentTime;
    let lastWall = performance.now();
    return {
      heard: function () { return heard; },
      mark: function () { lastTime = audio.currentTime; lastWall = performance.now(); },
      tick: function () {
        const now = performance.now();
        const moved = audio.currentTime - lastTime;
        const passed = ((now - lastWall) / 1000) * (audio.playbackRate || 1) + 0.25;
        if (moved > 0) heard += Math.min(moved, passed);
        lastTime = audio.currentTime;
        lastWall = now;
      },
    };
  }

  window.unclenchListen = { fmt: fmt, api: api, listenLog: listenLog, heardCounter: heardCounter };
})();
