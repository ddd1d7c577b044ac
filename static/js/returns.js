// The returns form, progressively enhanced: a line's fields open once a quantity is chosen,
// the "photo needed" note follows the chosen reason, and the photo count the live estimate
// needs is kept in a hidden field (the estimate request leaves the files themselves out).
// Without this script every field is shown and the form works the same.
(function () {
  "use strict";

  function refreshLine(line) {
    var quantity = line.querySelector("[data-quantity]");
    var details = line.querySelector("[data-line-details]");
    var chosen = quantity && quantity.value !== "0" && quantity.value !== "";
    line.classList.toggle("is-chosen", !!chosen);
    if (details) { details.hidden = !chosen; }
    var reason = line.querySelector("[data-reason]");
    var note = line.querySelector("[data-photo-needed]");
    if (reason && note) {
      var option = reason.options[reason.selectedIndex];
      note.hidden = !(option && option.hasAttribute("data-requires-photo"));
    }
    var files = line.querySelector("input[type=file]");
    var count = line.querySelector("input[name^=photo_count_]");
    if (files && count) { count.value = files.files ? String(files.files.length) : "0"; }
  }

  function refreshAll() {
    document.querySelectorAll("[data-line]").forEach(refreshLine);
  }

  // Capture phase: the hidden count is up to date before htmx sends the estimate.
  document.addEventListener("change", function (event) {
    var line = event.target.closest && event.target.closest("[data-line]");
    if (line) { refreshLine(line); }
  }, true);
  document.addEventListener("DOMContentLoaded", refreshAll);
  if (document.readyState !== "loading") { refreshAll(); }
})();
