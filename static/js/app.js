/* Behaviour of every page, without inline scripts or handlers (the Content-Security-Policy allows only
   scripts from the platform's own files). Elements ask for behaviour with data attributes:
     data-autosubmit         a <select> (or input) that submits its form when it changes;
                             data-clear="name" empties another field of the form first
     data-print              a button that prints the page
     data-percent="42"       a progress bar whose inner <div> is 42 % wide
     data-formset-add="members"  a button that adds one form of a Django formset from
                             <template id="members-template"> (its __prefix__ replaced)
   Content swapped in by htmx gets the same behaviour (htmx:load). */
(function () {
  "use strict";

  function init(root) {
    root.querySelectorAll("[data-percent]").forEach(function (bar) {
      var inner = bar.querySelector("div");
      var value = Math.max(0, Math.min(100, parseFloat(bar.getAttribute("data-percent")) || 0));
      if (inner) { inner.style.width = value + "%"; }
    });
  }

  document.addEventListener("change", function (event) {
    var field = event.target.closest ? event.target.closest("[data-autosubmit]") : null;
    if (!field || !field.form) { return; }
    var clear = field.getAttribute("data-clear");
    if (clear && field.form.elements[clear]) { field.form.elements[clear].value = ""; }
    if (field.form.requestSubmit) { field.form.requestSubmit(); } else { field.form.submit(); }
  });

  document.addEventListener("click", function (event) {
    // One menu open at a time; a click elsewhere closes it.
    document.querySelectorAll("details.navgroup[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.removeAttribute("open"); }
    });
    var target = event.target.closest ? event.target : null;
    if (!target) { return; }
    if (target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
      return;
    }
    var add = target.closest("[data-formset-add]");
    if (add) {
      var prefix = add.getAttribute("data-formset-add");
      var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
      var template = document.getElementById(prefix + "-template");
      var list = document.getElementById(prefix);
      if (!total || !template || !list) { return; }
      list.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, total.value));
      total.value = parseInt(total.value, 10) + 1;
    }
  });

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.target || document); });
})();
