// The perio sheet, for a hygienist calling out numbers. Without this file every box is an
// ordinary field and "Save draft" sends them all. With it, in the sheet:
// - a digit records the value and moves to the next site in the calling-out order (upper
//   facial 1->16, upper lingual 16->1, lower lingual 17->32, lower facial 32->17; each site
//   carries its place as data-i); Shift with a digit records 10 more (Shift+2 is 12);
//   in a margin, a minus first makes it negative; furcations and mobility take one digit;
// - B marks bleeding at the site the cursor is on, or takes the mark off; S, P and C do the
//   same for suppuration, plaque and calculus;
// - Tab and Shift+Tab follow the same order (past the last site, Tab goes to "Save draft");
//   the arrow keys move up, down, left and right around the sheet;
// - Backspace or Delete clears the site; Enter saves (the form's first button).
// A depth of 4 mm or more is marked as it is typed (bold and a border, not only a colour).
// Nothing is stored in the browser, and nothing is sent until the form is.
(function () {
  "use strict";
  var form = document.getElementById("perio-form");
  var sheet = document.getElementById("perio-sheet");
  if (!form || !sheet) { return; }
  var cells = Array.prototype.slice.call(sheet.querySelectorAll("input[data-kind]"));
  var byKind = {};
  cells.forEach(function (c) {
    var k = c.getAttribute("data-kind");
    if (c.hasAttribute("data-i")) {
      (byKind[k] = byKind[k] || []).push(c);
    }
  });
  Object.keys(byKind).forEach(function (k) {
    byKind[k].sort(function (a, b) { return +a.getAttribute("data-i") - +b.getAttribute("data-i"); });
  });
  var MAX = { d: 19, m: 19, f: 3, mob: 3 };

  function rowOf(c) { return +c.getAttribute("data-row"); }
  function colOf(c) { return +c.getAttribute("data-col"); }
  function kindOf(c) { return c.getAttribute("data-kind"); }

  function markDepth(c) {
    if (kindOf(c) !== "d") { return; }
    var v = parseInt(c.value, 10);
    var td = c.parentNode;
    ["deep4", "deep6"].forEach(function (k) { c.classList.remove(k); td.classList.remove(k); });
    var k = v >= 6 ? "deep6" : (v >= 4 ? "deep4" : "");
    if (k) { c.classList.add(k); td.classList.add(k); }
  }

  // The next (step 1) or previous (step -1) site of the same kind in the calling-out order,
  // skipping sites of teeth charted missing.
  function step(c, direction) {
    var list = byKind[kindOf(c)];
    if (!list) { return null; }
    var i = list.indexOf(c) + direction;
    while (i >= 0 && i < list.length) {
      if (!list[i].disabled && !list[i].closest("td").classList.contains("gone")) { return list[i]; }
      i += direction;
    }
    return null;
  }

  function go(to) {
    if (!to) { return false; }
    to.focus();
    if (to.select && to.type === "text") { to.select(); }
    return true;
  }

  // The cell in `row` nearest to `col` (ties: the leftmost), or the nearest to the left or
  // right of it along the same row.
  function around(c, dRow, dCol) {
    var row = rowOf(c) + dRow;
    var col = colOf(c);
    var best = null;
    cells.forEach(function (x) {
      if (rowOf(x) !== row) { return; }
      var d;
      if (dCol === 0) {
        // A tooth's own value spans its three sites.
        var span = +(x.closest("td").getAttribute("colspan") || 1);
        d = col >= colOf(x) && col < colOf(x) + span ? 0 : Math.abs(colOf(x) - col);
      } else {
        d = (colOf(x) - col) * dCol;
        if (d <= 0) { return; }
      }
      if (best === null || d < best.d) { best = { x: x, d: d }; }
    });
    return best && best.x;
  }

  // The letter that marks a site, and the kind of its checkbox (the same letter).
  var FLAGS = { b: "b", s: "s", p: "p", c: "c" };

  // The `flag` checkbox of the site `c` is on (`b-3-mb` for `d-3-mb`), or none for a value
  // of the whole tooth.
  function flagAt(c, flag) {
    if (kindOf(c) === flag) { return c; }
    var id = c.id.split("-");
    if (id.length !== 3) { return null; }
    return document.getElementById(flag + "-" + id[1] + "-" + id[2]);
  }

  function digitOf(e) {
    var m = /^(?:Digit|Numpad)([0-9])$/.exec(e.code || "");
    if (m) { return +m[1]; }
    return /^[0-9]$/.test(e.key) ? +e.key : null;
  }

  sheet.addEventListener("keydown", function (e) {
    var c = e.target;
    if (!c.hasAttribute || !c.hasAttribute("data-kind") || e.altKey || e.ctrlKey || e.metaKey) { return; }
    var kind = kindOf(c);
    var text = c.type === "text";
    var digit = digitOf(e);
    if (text && digit !== null) {
      e.preventDefault();
      var value = digit + (e.shiftKey ? 10 : 0);
      if (value > MAX[kind]) { return; }
      var negative = kind === "m" && c.value === "-";
      c.value = (negative ? "-" : "") + value;
      markDepth(c);
      if (c.hasAttribute("data-i")) { go(step(c, 1)); }
      return;
    }
    if (text && kind === "m" && (e.key === "-" || e.key === "Subtract")) {
      e.preventDefault();
      c.value = "-";
      return;
    }
    var flag = e.key.length === 1 ? FLAGS[e.key.toLowerCase()] : undefined;
    if (flag) {
      var box = flagAt(c, flag);
      if (box || text) { e.preventDefault(); }
      if (box && !box.disabled) { box.checked = !box.checked; }
      return;
    }
    if (text && (e.key === "Backspace" || e.key === "Delete")) {
      e.preventDefault();
      c.value = "";
      markDepth(c);
      return;
    }
    switch (e.key) {
      case "Tab":
        if (!c.hasAttribute("data-i")) { return; }
        var next = step(c, e.shiftKey ? -1 : 1);
        if (next) { e.preventDefault(); go(next); return; }
        if (!e.shiftKey) { e.preventDefault(); go(document.getElementById("save-draft")); }
        return;
      case "ArrowRight": e.preventDefault(); go(around(c, 0, 1)); return;
      case "ArrowLeft": e.preventDefault(); go(around(c, 0, -1)); return;
      case "ArrowDown": e.preventDefault(); go(around(c, 1, 0)); return;
      case "ArrowUp": e.preventDefault(); go(around(c, -1, 0)); return;
      case "Enter":
        if (!text) { e.preventDefault(); form.requestSubmit(document.getElementById("save-draft")); }
        return;
      default:
        // Any other printable key would only put text into a number box.
        if (text && e.key.length === 1) { e.preventDefault(); }
    }
  });

  // Marking a tooth missing dims its sites, which the order then skips.
  sheet.addEventListener("change", function (e) {
    var c = e.target;
    if (!c.hasAttribute || kindOf(c) !== "x") { return; }
    var tooth = c.id.split("-")[1];
    cells.forEach(function (x) {
      var parts = x.id.split("-");
      if (parts[1] === tooth && x !== c) { x.closest("td").classList.toggle("gone", c.checked); }
    });
  });

  // Where the cursor starts: a problem's field if there is one, else the first site in the
  // calling-out order that has no depth yet.
  if (!document.querySelector("[autofocus]") && byKind.d) {
    var first = byKind.d.filter(function (c) { return c.value === ""; })[0] || byKind.d[0];
    go(first);
  }
})();
