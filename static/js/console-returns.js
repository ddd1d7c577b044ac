// Returns in the console, from the keyboard: in the queue, ArrowDown/ArrowUp (or j/k) move
// between returns and Enter opens one; a click anywhere on a row opens it. The pages work
// without it (every row has a link).
(function () {
  "use strict";

  function rowLinks() {
    return Array.prototype.slice.call(document.querySelectorAll("#return-rows tr[data-rma] td:first-child a"));
  }

  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable) { return; }
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var down = event.key === "ArrowDown" || event.key === "j";
    var up = event.key === "ArrowUp" || event.key === "k";
    if (!down && !up) { return; }
    var links = rowLinks();
    if (!links.length) { return; }
    var index = links.indexOf(document.activeElement);
    var next = index === -1 ? 0 : index + (down ? 1 : -1);
    if (next < 0 || next >= links.length) { return; }
    event.preventDefault();
    links[next].focus();
  });

  document.addEventListener("click", function (event) {
    var row = event.target.closest("#return-rows tr[data-rma]");
    if (!row || event.target.closest("a, button, input, select")) { return; }
    var link = row.querySelector("td:first-child a");
    if (link) { window.location.href = link.href; }
  });
})();
