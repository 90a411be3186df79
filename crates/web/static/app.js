// A setup or reset link carries its secret after "#" (/reset#enr_...), which the browser never
// sends to a server. Move it into the form and out of the address bar and history.
(function () {
  "use strict";
  var field = document.getElementById("link-code-field");
  var input = document.getElementById("token");
  var code = window.location.hash.slice(1);
  if (!field || !input || !/^enr_[A-Za-z0-9_-]{1,124}$/.test(code)) { return; }
  input.value = code;
  field.hidden = true;
  window.history.replaceState(null, "", window.location.pathname);
})();

// Automatic logoff in the browser. The server ends an idle session on its own; this page
// warns before that happens, keeps the session alive while the person is actually using the
// page (a light request at most once a minute), and leaves the page when the session has
// ended, so PHI does not stay on an unattended screen. It stores nothing in the browser.
(function () {
  "use strict";
  var idle = parseInt(document.body.getAttribute("data-idle-seconds") || "", 10);
  if (!idle || idle <= 0) { return; }
  var warning = document.getElementById("idle-warning");
  var lastServerContact = Date.now();
  function activity() {
    if (warning) { warning.hidden = true; }
    var since = (Date.now() - lastServerContact) / 1000;
    if (since > Math.min(60, idle / 3)) {
      lastServerContact = Date.now();
      fetch("/api/v1/me", { credentials: "same-origin", cache: "no-store" }).then(function (r) {
        if (r.status === 401) { window.location.assign("/sign-in?reason=idle"); }
      });
    }
  }
  ["keydown", "mousedown", "touchstart"].forEach(function (e) {
    document.addEventListener(e, activity, { passive: true });
  });
  setInterval(function () {
    var quiet = (Date.now() - lastServerContact) / 1000;
    if (quiet >= idle) {
      window.location.assign("/sign-in?reason=idle");
    } else if (warning && quiet >= idle - Math.min(60, idle / 2)) {
      warning.hidden = false;
    }
  }, 1000);
})();
