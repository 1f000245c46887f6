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

  window.unclenchListen = { fmt: fmt, api: api };
})();
