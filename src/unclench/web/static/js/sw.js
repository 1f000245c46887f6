// The service worker (served as /sw.js so that its scope is the whole app): the app opens without the network.
// - The page's own files (/static/…) come from the cache first, refreshed in the background.
// - Pages come from the network first; when it does not answer, the last copy of that page (or of home) is shown,
//   so the quick log still opens on a phone that has lost the home Wi-Fi. Entries made then are queued in the
//   page (static/diary/offline.js) and sent when the app answers again.
// - Nothing else is cached: no API answers, no downloads, no audio.
"use strict";

const CACHE = "unclench-v1";
const SHELL = [
  "/",
  "/static/css/app.css",
  "/static/js/app.js",
  "/static/js/theme.js",
  "/static/vendor/htmx-2.0.11.min.js",
  "/static/body/bodymap.js",
  "/static/diary/quicklog.js",
  "/static/diary/offline.js",
  "/static/icons/unclench.svg",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(
      caches.open(CACHE).then((cache) =>
        cache.match(request).then((hit) => {
          const fresh = fetch(request).then((response) => {
            if (response.ok) cache.put(request, response.clone());
            return response;
          });
          return hit || fresh;
        })
      )
    );
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok && url.pathname === "/") {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put("/", copy));
          }
          return response;
        })
        .catch(() => caches.match(request).then((hit) => hit || caches.match("/")))
    );
  }
});
