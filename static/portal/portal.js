/* 掌上办: register the service worker (offline page). No inline script anywhere (strict CSP). */
(function () {
  "use strict";
  var tag = document.getElementById("portal-js");
  if (!tag || !("serviceWorker" in navigator)) { return; }
  window.addEventListener("load", function () {
    navigator.serviceWorker.register(tag.dataset.sw, { scope: tag.dataset.scope }).catch(function () {});
  });
})();
