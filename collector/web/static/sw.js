// doorstep collector service worker: keep the app shell and the pages in use, so a phone
// that loses the collector's Wi-Fi mid-survey still has its page. Pages come from the
// network first (always fresh while connected); the copy is only for when it is gone.
// Pages marked "no-store" (kiosk screens, pages with a one-off "Saved" message) are never kept.
"use strict";

// A new name with every change to the app's files: activating drops the old copies, so a page
// never runs with scripts from two versions.
var CACHE = "doorstep-v2";
var SHELL = ["/assets/style.css", "/assets/app.js", "/assets/outbox.js", "/assets/steps.js", "/offline"];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); }).then(function () {
      return self.skipWaiting();
    })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) {
        return caches.delete(k);
      }));
    }).then(function () { return self.clients.claim(); })
  );
});

function keepable(response) {
  var control = response.headers.get("Cache-Control") || "";
  return response.ok && !response.redirected && control.indexOf("no-store") === -1;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/api/") === 0 || url.pathname === "/ping" || url.pathname === "/sw.js") return;

  if (url.pathname.indexOf("/assets/") === 0) {
    event.respondWith(
      caches.match(request).then(function (hit) {
        var fresh = fetch(request).then(function (response) {
          if (keepable(response)) {
            var copy = response.clone();
            caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
          }
          return response;
        });
        return hit || fresh;
      })
    );
    return;
  }

  if (request.mode === "navigate") {
    event.respondWith(
      fetch(request).then(function (response) {
        if (keepable(response)) {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
        } else if ((response.headers.get("Cache-Control") || "").indexOf("no-store") !== -1) {
          caches.open(CACHE).then(function (cache) { cache.delete(request); });
        }
        return response;
      }).catch(function () {
        return caches.match(request).then(function (hit) {
          return hit || caches.match("/offline");
        });
      })
    );
  }
});
