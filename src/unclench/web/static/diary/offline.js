// The quick log without a connection: when the phone is offline, Save keeps the entry on the phone (IndexedDB)
// with a key made here, and sends it to /api/episodes as soon as the app answers again (on "online", on every
// page load, and every 30 s while entries wait). The server saves an entry once per key, so a send that is
// repeated after a lost answer never adds it twice.
(function () {
  "use strict";
  const form = document.getElementById("quick-form");
  const status = document.getElementById("quick-queue");
  const DB_NAME = "unclench";
  const STORE = "queued-episodes";

  function openQueue() {
    return new Promise(function (resolve, reject) {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "client_key" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(mode, work) {
    return openQueue().then(function (db) {
      return new Promise(function (resolve, reject) {
        const tx = db.transaction(STORE, mode);
        const result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(result.result !== undefined ? result.result : result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes); // also on a plain-HTTP phone, where randomUUID is not offered
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  function localNow() {
    // The person's wall time and zone: the server reads a time without offset in the zone given.
    const d = new Date();
    const pad = function (n) { return String(n).padStart(2, "0"); };
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }

  function say(text) {
    if (status) status.textContent = text;
  }

  function waiting() {
    return withStore("readonly", function (store) { return store.getAll(); });
  }

  let sending = false;
  function sendQueued() {
    if (sending || !navigator.onLine) return Promise.resolve();
    sending = true;
    return waiting().then(function (entries) {
      return entries.reduce(function (previous, entry) {
        return previous.then(function () {
          return fetch("/api/episodes", {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify(entry),
          }).then(function (response) {
            if (response.ok) {
              return withStore("readwrite", function (store) { return store.delete(entry.client_key); })
                .then(function () { say("Added to your diary: the entry saved on this phone while offline."); });
            }
            if (response.status === 422) {
              // It can never be saved as it is (say, a time that is now too far away): keep it from blocking
              // the others, and say so rather than dropping it silently.
              return withStore("readwrite", function (store) { return store.delete(entry.client_key); })
                .then(function () { say("One entry saved offline could not be added to your diary. Please log it again."); });
            }
            return undefined; // the app is not answering properly yet: try again later
          });
        });
      }, Promise.resolve());
    }).catch(function () { /* still offline, or the server is away: the entries stay queued */ })
      .finally(function () { sending = false; });
  }

  if (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented || navigator.onLine) return;
      event.preventDefault();
      const data = new FormData(form);
      const [region, side] = String(data.get("regions") || "").split(":");
      const entry = {
        client_key: newKey(),
        started_at: localNow(),
        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
        kind: data.get("kind"),
        intensity: Number(data.get("intensity")),
        regions: [{ region: region, side: side || null }],
      };
      withStore("readwrite", function (store) { return store.put(entry); }).then(function () {
        say("Saved on this phone. It will be added to your diary as soon as unclench answers again.");
      }, function () {
        say("This phone could not keep the entry offline. Please log it again when you are back online.");
      });
    });
  }

  window.addEventListener("online", sendQueued);
  sendQueued();
  setInterval(sendQueued, 30000);

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* plain HTTP: no offline */ });
  }
})();
