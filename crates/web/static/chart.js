// The chart at the chair, by keyboard or pointer. Without this file every form still posts
// (the tooth is chosen in its select). With it:
// - each drawn tooth is a button in a roving tab stop: Tab reaches the teeth once, the arrow
//   keys move along a row and between the arches, Home/End go to a row's ends, and Enter or
//   Space (or a click) puts the tooth into the form (and into the tooth state form) and moves
//   to the surfaces field;
// - in the surfaces field, typing a surface letter toggles it (MOD, in canonical order), and
//   the chosen tooth shows the surfaces being charted;
// - choosing a code shows only the fields its area type uses.
// Nothing is stored in the browser, and nothing is sent until the form is.
(function () {
  "use strict";
  var form = document.getElementById("chart-form");
  var toothSelect = document.getElementById("tooth");
  var surfaces = document.getElementById("surfaces");
  var code = document.getElementById("code");
  var stateTooth = document.getElementById("state_tooth");
  if (!form || !toothSelect || !surfaces || !code) { return; }
  var ORDER = "MOIDBFVL";
  var svgs = Array.prototype.slice.call(document.querySelectorAll("svg.teeth[data-interactive=true]"));
  var all = [];
  svgs.forEach(function (svg) {
    all = all.concat(Array.prototype.slice.call(svg.querySelectorAll("g.tooth")));
  });

  function rowOf(t) { return +t.getAttribute("data-row"); }
  function colOf(t) { return +t.getAttribute("data-col"); }
  function teethIn(t) { return Array.prototype.slice.call(t.ownerSVGElement.querySelectorAll("g.tooth")); }

  function focusTooth(from, to) {
    if (!to || to === from) { return; }
    teethIn(from).forEach(function (t) { t.setAttribute("tabindex", t === to ? "0" : "-1"); });
    to.focus();
  }

  // The tooth in `row` nearest to `col` in direction `step` (or at it, for step 0).
  function find(teeth, row, col, step) {
    var best = null;
    teeth.forEach(function (t) {
      if (rowOf(t) !== row) { return; }
      var d = (colOf(t) - col) * (step || 1);
      if (step === 0) { d = Math.abs(d); } else if (d <= 0) { return; }
      if (best === null || d < best.d) { best = { t: t, d: d }; }
    });
    return best && best.t;
  }

  function preview() {
    var chosen = toothSelect.value;
    var letters = surfaces.value.toUpperCase();
    all.forEach(function (t) {
      var mine = t.getAttribute("data-tooth") === chosen;
      Array.prototype.forEach.call(t.querySelectorAll(".region"), function (r) {
        r.classList.toggle("preview", mine && letters !== "" && letters.indexOf(r.getAttribute("data-s")) >= 0);
      });
    });
  }

  function showSelected() {
    all.forEach(function (t) {
      var on = t.getAttribute("data-tooth") === toothSelect.value;
      t.classList.toggle("selected", on);
      t.setAttribute("aria-pressed", on ? "true" : "false");
    });
    preview();
  }

  function choose(tooth) {
    if (toothSelect.value !== tooth.getAttribute("data-tooth")) {
      toothSelect.value = tooth.getAttribute("data-tooth");
      surfaces.value = "";
    }
    if (stateTooth) { stateTooth.value = tooth.getAttribute("data-tooth"); }
    var details = tooth.closest("details");
    if (details) { details.open = true; }
    showSelected();
    surfaces.focus();
  }

  svgs.forEach(function (svg) {
    var teeth = Array.prototype.slice.call(svg.querySelectorAll("g.tooth"));
    var start = svg.querySelector("g.tooth.selected") || teeth[0];
    teeth.forEach(function (t) {
      t.setAttribute("role", "button");
      t.setAttribute("tabindex", t === start ? "0" : "-1");
      t.setAttribute("aria-pressed", t.classList.contains("selected") ? "true" : "false");
    });
    svg.addEventListener("click", function (e) {
      var t = e.target.closest && e.target.closest("g.tooth");
      if (t) { focusTooth(svg.querySelector("g.tooth[tabindex='0']") || t, t); choose(t); }
    });
    svg.addEventListener("keydown", function (e) {
      var t = e.target.closest && e.target.closest("g.tooth");
      if (!t || e.altKey || e.ctrlKey || e.metaKey) { return; }
      var row = rowOf(t);
      var col = colOf(t);
      var next = null;
      switch (e.key) {
        case "ArrowRight": next = find(teeth, row, col, 1); break;
        case "ArrowLeft": next = find(teeth, row, col, -1); break;
        case "ArrowDown": case "ArrowUp": next = find(teeth, 1 - row, col, 0); break;
        case "Home": next = find(teeth, row, -1, 1); break;
        case "End": next = find(teeth, row, 99, -1); break;
        case "Enter": case " ": e.preventDefault(); choose(t); return;
        default: return;
      }
      e.preventDefault();
      focusTooth(t, next);
    });
  });

  // Typing a surface letter puts it in or takes it out, in canonical order; other letters
  // and digits are not surfaces and are ignored. Pasted text is put in order too.
  function canonical(text) {
    var up = text.toUpperCase();
    return ORDER.split("").filter(function (c) { return up.indexOf(c) >= 0; }).join("");
  }
  surfaces.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || e.key.length !== 1 || !/[a-z0-9]/i.test(e.key)) { return; }
    e.preventDefault();
    var c = e.key.toUpperCase();
    if (ORDER.indexOf(c) < 0) { return; }
    var v = surfaces.value.toUpperCase();
    surfaces.value = canonical(v.indexOf(c) >= 0 ? v.split(c).join("") : v + c);
    preview();
  });
  surfaces.addEventListener("input", function () {
    var v = canonical(surfaces.value);
    if (v !== surfaces.value) { surfaces.value = v; }
    preview();
  });
  toothSelect.addEventListener("change", showSelected);

  // Only the fields the chosen code's area type uses (all of them before a code is chosen).
  function fitFields() {
    var option = code.options[code.selectedIndex];
    var area = option ? option.getAttribute("data-area") : null;
    Array.prototype.forEach.call(form.querySelectorAll("[data-for]"), function (f) {
      f.hidden = !!area && f.getAttribute("data-for").split(" ").indexOf(area) < 0;
    });
  }
  code.addEventListener("change", fitFields);
  fitFields();
  showSelected();
})();
