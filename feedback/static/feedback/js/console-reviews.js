// Review moderation from the keyboard: in the queue, ArrowDown/ArrowUp (or j/k) move between
// reviews and Enter opens one; a click anywhere on a row opens it. On a review, "n" opens the
// next waiting review. The pages work without it (every row and action is a link or a form).
(function () {
  "use strict";

  function rowLinks() {
    return Array.prototype.slice.call(document.querySelectorAll("#review-rows tr[data-review] td:first-child a"));
  }

  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable) { return; }
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.key === "n") {
      var next = document.querySelector("[data-action='next']");
      if (next) { event.preventDefault(); window.location.href = next.href; }
      return;
    }
    var down = event.key === "ArrowDown" || event.key === "j";
    var up = event.key === "ArrowUp" || event.key === "k";
    if (!down && !up) { return; }
    var links = rowLinks();
    if (!links.length) { return; }
    var index = links.indexOf(document.activeElement);
    var target = index === -1 ? 0 : index + (down ? 1 : -1);
    if (target < 0 || target >= links.length) { return; }
    event.preventDefault();
    links[target].focus();
  });

  document.addEventListener("click", function (event) {
    var row = event.target.closest("#review-rows tr[data-review]");
    if (!row || event.target.closest("a, button, input, select")) { return; }
    var link = row.querySelector("td:first-child a");
    if (link) { window.location.href = link.href; }
  });
})();
