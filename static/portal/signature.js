/* A signature drawn with a finger on a canvas, kept as a PNG data URL in the form's hidden "signature" field. */
(function () {
  "use strict";
  var pad = document.getElementById("signpad");
  var form = document.getElementById("proxy-form");
  if (!pad || !form) { return; }
  var field = form.querySelector("input[name=signature]");
  var clear = document.getElementById("signpad-clear");
  var ctx = pad.getContext("2d");
  var drawing = false, drawn = false;
  ctx.lineWidth = 4; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";

  function point(event) {
    var box = pad.getBoundingClientRect();
    return { x: (event.clientX - box.left) * pad.width / box.width, y: (event.clientY - box.top) * pad.height / box.height };
  }
  pad.addEventListener("pointerdown", function (event) {
    drawing = true; pad.setPointerCapture(event.pointerId);
    var p = point(event); ctx.beginPath(); ctx.moveTo(p.x, p.y); event.preventDefault();
  });
  pad.addEventListener("pointermove", function (event) {
    if (!drawing) { return; }
    var p = point(event); ctx.lineTo(p.x, p.y); ctx.stroke(); drawn = true; event.preventDefault();
  });
  function stop() { drawing = false; }
  pad.addEventListener("pointerup", stop);
  pad.addEventListener("pointercancel", stop);
  clear.addEventListener("click", function () { ctx.clearRect(0, 0, pad.width, pad.height); drawn = false; field.value = ""; });
  form.addEventListener("submit", function () { if (drawn) { field.value = pad.toDataURL("image/png"); } });
})();
