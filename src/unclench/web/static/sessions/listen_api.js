// Shared by the session player and "Right now" on home: the listening log's API and the m:ss clock.
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

  window.unclenchListen = { fmt: fmt, api: api, listenLog: listenLog };
})();
