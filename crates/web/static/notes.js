// Clinical notes: choosing a template fills the write form's kind and text at once (without
// this file, "Use this template" reloads the page with them). Text already typed is never
// replaced, only the blank form or a template's untouched text. Nothing is stored in the
// browser, and nothing is sent until a form is.
(function () {
  "use strict";
  var select = document.getElementById("template");
  var kind = document.getElementById("new-kind");
  var body = document.getElementById("new-body");
  var use = document.getElementById("use-template");
  if (!select || !kind || !body) { return; }
  var last = body.value;
  if (use) { use.hidden = true; }
  select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex];
    if (body.value !== "" && body.value !== last) {
      var status = document.getElementById("template-status");
      if (status) { status.textContent = "Your text is kept: clear the text box first to use the template."; }
      return;
    }
    kind.value = option.getAttribute("data-kind") || "progress";
    body.value = option.getAttribute("data-body") || "";
    last = body.value;
  });
})();
