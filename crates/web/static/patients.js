// Find a patient as you type. Without this file the search form still works: Enter sends it
// and the server answers with the results page. With it, typing in the name box asks the JSON
// API (with the page's session cookie) once the typing pauses, and shows the results in place.
// The criteria go in the body of a POST (/api/v1/patients/search), never in a URL, so no
// name, birth date or phone lands in a proxy's request log.
//
// Every search is audited, so requests are kept few: 300 ms after the last key, at least two
// letters, never the same query twice in a row, and a newer query cancels an older one.
// Results are built with DOM methods and textContent only; nothing is stored in the browser.
(function () {
  "use strict";
  var form = document.getElementById("find");
  var nameInput = document.getElementById("find-name");
  var results = document.getElementById("results");
  if (!form || !nameInput || !results || !window.fetch || !window.JSON) { return; }

  var DELAY_MS = 300;
  var MIN_CHARS = 2;
  var PER_PAGE = parseInt(results.getAttribute("data-per-page") || "25", 10) || 25;
  var STATUS = { active: "Active", inactive: "Inactive", deceased: "Deceased", archived: "Archived" };
  var FIELDS = ["name", "birth_date", "phone", "chart", "status"];

  var timer = null;
  var inFlight = null;
  var lastQuery = null;

  function formatPhone(e164) {
    var m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164 || "");
    return m ? "(" + m[1] + ") " + m[2] + "-" + m[3] : (e164 || "");
  }

  function element(tag, text) {
    var el = document.createElement(tag);
    if (text !== undefined && text !== null) { el.textContent = String(text); }
    return el;
  }

  function clear() {
    while (results.firstChild) { results.removeChild(results.firstChild); }
  }

  function summary(text) {
    var p = element("p", text);
    p.id = "results-summary";
    p.setAttribute("role", "status");
    return p;
  }

  function show(nodes) {
    clear();
    nodes.forEach(function (n) { results.appendChild(n); });
  }

  function render(answer) {
    var rows = answer.results || [];
    var nodes = [];
    var text;
    if (answer.total === 0) {
      text = "No patient matches.";
    } else if (answer.total === 1) {
      text = "1 patient matches.";
    } else if (answer.total_capped) {
      text = "More than " + answer.total + " patients match; showing 1 to " + rows.length + ". Press Enter for all pages.";
    } else if (answer.total > rows.length) {
      text = answer.total + " patients match; showing 1 to " + rows.length + ". Press Enter for all pages.";
    } else {
      text = answer.total + " patients match.";
    }
    nodes.push(summary(text));
    if (answer.total_capped) {
      var more = element("p", "Type more of the name, or add the date of birth, to narrow the list.");
      more.className = "notice";
      more.id = "results-capped";
      nodes.push(more);
    }
    if (rows.length > 0) {
      var showPhone = rows.some(function (r) { return typeof r.phone === "string" && r.phone !== ""; });
      var table = element("table");
      table.id = "patient-results";
      var head = element("thead");
      var headRow = element("tr");
      var columns = ["Name", "Preferred name", "Date of birth", "Chart number", "Status"];
      if (showPhone) { columns.push("Phone"); }
      columns.forEach(function (c) {
        var th = element("th", c);
        th.setAttribute("scope", "col");
        headRow.appendChild(th);
      });
      head.appendChild(headRow);
      table.appendChild(head);
      var body = element("tbody");
      rows.forEach(function (r) {
        var tr = element("tr");
        var nameCell = element("td");
        var link = element("a", r.family_name + ", " + r.given_name);
        link.setAttribute("href", "/patients/" + encodeURIComponent(r.id));
        nameCell.appendChild(link);
        tr.appendChild(nameCell);
        tr.appendChild(element("td", r.preferred_name || ""));
        tr.appendChild(element("td", r.birth_date));
        tr.appendChild(element("td", r.chart_number || ""));
        tr.appendChild(element("td", STATUS[r.status] || r.status));
        if (showPhone) { tr.appendChild(element("td", formatPhone(r.phone))); }
        body.appendChild(tr);
      });
      table.appendChild(body);
      nodes.push(table);
    }
    show(nodes);
  }

  function query() {
    var criteria = {};
    FIELDS.forEach(function (name) {
      var input = form.elements.namedItem(name);
      var value = input && typeof input.value === "string" ? input.value.trim() : "";
      if (value !== "") { criteria[name] = value; }
    });
    criteria.limit = PER_PAGE;
    return JSON.stringify(criteria);
  }

  function search() {
    timer = null;
    var name = nameInput.value.trim();
    if (name.length < MIN_CHARS) {
      if (inFlight) { inFlight.abort(); inFlight = null; }
      lastQuery = null;
      show([summary(name.length === 0 ? "" : "Type at least two letters of the name.")]);
      return;
    }
    var q = query();
    if (q === lastQuery) { return; }
    lastQuery = q;
    if (inFlight) { inFlight.abort(); }
    var controller = window.AbortController ? new AbortController() : null;
    inFlight = controller;
    results.setAttribute("aria-busy", "true");
    fetch("/api/v1/patients/search", {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: q,
      signal: controller ? controller.signal : undefined,
    }).then(function (r) {
      if (r.status === 401) {
        window.location.assign("/sign-in?reason=ended");
        return null;
      }
      if (r.status === 403) {
        show([summary("Your role does not allow searching for patients.")]);
        return null;
      }
      if (r.status === 422) {
        lastQuery = null;
        show([summary("Check the search fields, then press Enter to search.")]);
        return null;
      }
      if (!r.ok) {
        lastQuery = null;
        show([summary("The search did not work this time. Press Enter to try again.")]);
        return null;
      }
      return r.json();
    }).then(function (answer) {
      if (answer && inFlight === controller) { render(answer); }
    }).catch(function (e) {
      if (e && e.name === "AbortError") { return; }
      lastQuery = null;
      show([summary("The search did not work this time. Press Enter to try again.")]);
    }).then(function () {
      if (inFlight === controller) {
        inFlight = null;
        results.removeAttribute("aria-busy");
      }
    });
  }

  function schedule() {
    if (timer !== null) { clearTimeout(timer); }
    timer = setTimeout(search, DELAY_MS);
  }

  nameInput.addEventListener("input", schedule);
  ["find-birth_date", "find-phone", "find-chart", "find-status"].forEach(function (id) {
    var input = document.getElementById(id);
    if (input) {
      input.addEventListener("change", function () {
        if (nameInput.value.trim().length >= MIN_CHARS) { schedule(); }
      });
    }
  });
  // Enter sends the form as usual (the server's results page, with paging): a pending
  // as-you-type search is dropped so the same query is not asked twice.
  form.addEventListener("submit", function () {
    if (timer !== null) { clearTimeout(timer); timer = null; }
    if (inFlight) { inFlight.abort(); inFlight = null; }
  });
})();
