// The signature pad of a plan's presentation. Without this file (or without a pointer) the
// patient types their name as the signature and the form posts as it is. With it, the pad is
// shown: each stroke drawn with a finger, pen or mouse is kept as points scaled to the
// server's 0-1000 canvas (the pad is 1000 by 400, so x runs 0-1000 and y 0-400), thinned to
// stay under the server's limits (50 strokes, 5000 points), and written as JSON into the
// hidden "strokes" field as it is drawn. "Clear the drawing" empties it. Nothing is stored
// in the browser.
(function () {
  "use strict";
  var pad = document.getElementById("signature-pad");
  var canvas = document.getElementById("signature-canvas");
  var field = document.getElementById("strokes");
  var clear = document.getElementById("clear-signature");
  if (!pad || !canvas || !field || !canvas.getContext || !window.PointerEvent) { return; }
  pad.hidden = false;
  var MAX_STROKES = 50;
  var MAX_POINTS = 5000;
  var ctx = canvas.getContext("2d");
  ctx.lineWidth = 6;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.strokeStyle = "#1d2a33";
  var strokes = [];
  var current = null;
  var total = 0;

  function point(e) {
    var r = canvas.getBoundingClientRect();
    var x = Math.round(((e.clientX - r.left) / r.width) * 1000);
    var y = Math.round(((e.clientY - r.top) / r.height) * 400);
    return [Math.max(0, Math.min(1000, x)), Math.max(0, Math.min(400, y))];
  }

  function save() {
    var kept = strokes.filter(function (s) { return s.length >= 2; });
    field.value = kept.length ? JSON.stringify(kept) : "";
  }

  canvas.addEventListener("pointerdown", function (e) {
    if (strokes.length >= MAX_STROKES || total >= MAX_POINTS) { return; }
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    current = [point(e)];
    strokes.push(current);
    total += 1;
  });
  canvas.addEventListener("pointermove", function (e) {
    if (!current || total >= MAX_POINTS) { return; }
    var p = point(e);
    var last = current[current.length - 1];
    if (Math.abs(p[0] - last[0]) + Math.abs(p[1] - last[1]) < 4) { return; }
    ctx.beginPath();
    ctx.moveTo(last[0], last[1]);
    ctx.lineTo(p[0], p[1]);
    ctx.stroke();
    current.push(p);
    total += 1;
  });
  function end() {
    if (current && current.length === 1) {
      // A tap: a dot, kept as a tiny stroke.
      var p = current[0];
      current.push([Math.min(1000, p[0] + 1), p[1]]);
      ctx.beginPath();
      ctx.arc(p[0], p[1], 3, 0, 2 * Math.PI);
      ctx.fill();
    }
    current = null;
    save();
  }
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  clear.addEventListener("click", function () {
    strokes = [];
    total = 0;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    save();
  });
})();
