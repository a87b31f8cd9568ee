/* Required fields and the charter, checked in the browser before sending, so that a forgotten
   box costs no round trip. Forms keep `novalidate`: the browser's own bubbles are neither
   accessible nor in the page's words. The messages go where the server puts its own (a summary
   with links, and a line under each field), and the server checks everything again. */
(function () {
  "use strict";

  function labelOf(field) {
    var label = document.querySelector("label[for='" + field.id + "']");
    return label && label.firstChild ? label.firstChild.textContent.trim() : field.name;
  }

  function clear(form) {
    form.querySelectorAll("[data-client-error]").forEach(function (node) { node.remove(); });
    form.querySelectorAll("[aria-invalid][data-client-invalid]").forEach(function (field) {
      field.removeAttribute("aria-invalid");
      field.removeAttribute("data-client-invalid");
    });
    var summary = document.querySelector(".error-summary[data-client-error]");
    if (summary) { summary.remove(); }
  }

  function mark(field, message, words) {
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("data-client-invalid", "");
    var list = document.createElement("ul");
    list.className = "errors";
    list.id = field.id + "_client_error";
    list.setAttribute("data-client-error", "");
    var item = document.createElement("li");
    var prefix = document.createElement("span");
    prefix.className = "sr-prefix";
    prefix.textContent = words.error + " ";
    item.append(prefix, message);
    list.append(item);
    var box = field.closest(".field") || field.parentElement;
    box.append(list);
    var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (described.indexOf(list.id) < 0) { described.push(list.id); }
    field.setAttribute("aria-describedby", described.join(" "));
  }

  function summarise(form, problems, words) {
    var summary = document.createElement("div");
    summary.className = "error-summary";
    summary.setAttribute("role", "alert");
    summary.setAttribute("tabindex", "-1");
    summary.setAttribute("data-client-error", "");
    var title = document.createElement("h2");
    title.textContent = problems.length === 1 ? words.one : words.many.replace("%(count)s", problems.length);
    var list = document.createElement("ul");
    problems.forEach(function (problem) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + problem.field.id;
      link.textContent = labelOf(problem.field);
      item.append(link, words.colon + problem.message);
      list.append(item);
    });
    summary.append(title, list);
    var server = document.getElementById("erreurs");
    if (server) { server.hidden = true; }
    form.parentNode.insertBefore(summary, form);
    summary.focus();
  }

  function wire() {
    var words = document.getElementById("form-words");
    if (!words) { return; }
    words = words.dataset;
    document.querySelectorAll("form[novalidate]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        clear(form);
        var problems = [];
        form.querySelectorAll("input[required], select[required], textarea[required]").forEach(function (field) {
          var empty = field.type === "checkbox" ? !field.checked : !field.value.trim();
          if (empty && !field.disabled) {
            problems.push({ field: field, message: field.type === "checkbox" ? words.charter : words.required });
          }
        });
        if (!problems.length) { return; }
        event.preventDefault();
        problems.forEach(function (problem) { mark(problem.field, problem.message, words); });
        summarise(form, problems, words);
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();
