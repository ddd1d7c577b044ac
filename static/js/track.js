// The tracking page's live indicator: shows whether the event stream is connected, from the
// events the htmx SSE extension fires. The page itself needs no script to show the order.
(function () {
  "use strict";
  function setState(state) {
    document.querySelectorAll("[data-live-indicator]").forEach(function (el) {
      el.hidden = false;
      el.dataset.state = state;
    });
  }
  setState("connecting");
  document.body.addEventListener("htmx:sseOpen", function () { setState("live"); });
  document.body.addEventListener("htmx:sseError", function () { setState("offline"); });
})();
