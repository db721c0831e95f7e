/* 掌上办 service worker: pages always from the network (they are personal and change), the offline page and
   the stylesheet cached so that a phone without signal sees a clear message instead of the browser's error. */
"use strict";
var CACHE = "portal-v1";
var OFFLINE = "__OFFLINE_URL__";
var CSS = "__CSS_URL__";

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll([OFFLINE, CSS]); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(function () { return caches.match(OFFLINE); }));
  } else if (request.url.indexOf(CSS) !== -1) {
    event.respondWith(fetch(request).catch(function () { return caches.match(CSS); }));
  }
});
