// The console's small behaviours: the live stream, "/" to search, arrow keys in search results,
// Escape to close the side panel. Pages work without it; it only makes them live and quicker.
(function () {
  "use strict";
  var body = document.body;

  // Forms answer 4xx with the form and its errors (400/409/422) or a refusal (403): swap them
  // in like a success so the rep sees what is wrong; 5xx stays an error.
  if (window.htmx) {
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "4..", swap: true, error: false },
      { code: "...", swap: false, error: true }
    ];
  }

  // A server's HX-Trigger {"flash": "text"} shows a message at the top of the page.
  body.addEventListener("flash", function (event) {
    var area = document.getElementById("flash");
    if (!area) { return; }
    var note = document.createElement("div");
    note.className = "flash" + (event.detail && event.detail.level ? " flash-" + event.detail.level : "");
    note.setAttribute("role", "status");
    note.textContent = (event.detail && (event.detail.value || event.detail.text)) || "";
    area.appendChild(note);
    setTimeout(function () { note.remove(); }, 6000);
  });

  // --- Live updates: one EventSource per page; each message becomes a `live` event on <body>
  // that fragments refresh on (hx-trigger="live from:body"), with its type in event.detail.
  function setLiveState(state) {
    document.querySelectorAll("[data-live-indicator]").forEach(function (el) {
      el.dataset.state = state;
    });
  }
  var streamUrl = body.dataset.liveStream;
  if (streamUrl && window.EventSource) {
    var source = new EventSource(streamUrl);
    source.onopen = function () { setLiveState("live"); };
    source.onerror = function () { setLiveState("offline"); };
    // The stream is opened with ?as=live: every message is named "live", its type in the data.
    source.addEventListener("live", function (message) {
      var data = {};
      try { data = JSON.parse(message.data); } catch (e) { return; }
      body.dispatchEvent(new CustomEvent("live", {
        detail: { type: data.event_type || "", topic: data.topic || "", payload: data.payload || {} }
      }));
    });
  }

  // --- "/" focuses the search box (unless typing somewhere already).
  var search = document.getElementById("global-search-input");
  var results = document.getElementById("search-results");
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    var typing = tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable;
    if (event.key === "/" && !typing && search) {
      event.preventDefault();
      search.focus();
      search.select();
    } else if (event.key === "Escape") {
      if (results && results.innerHTML.trim()) {
        var inResults = results.contains(document.activeElement);
        results.innerHTML = "";
        if (inResults) { search.focus(); }
        return;
      }
      var panel = document.getElementById("panel");
      if (panel && panel.innerHTML.trim()) { panel.innerHTML = ""; restoreFocus(); }
    }
  });

  // --- Arrow keys move through search results; Enter opens the selected one.
  if (search && results) {
    search.addEventListener("keydown", function (event) {
      var items = Array.prototype.slice.call(results.querySelectorAll("a.result"));
      if (!items.length) { return; }
      if (event.key === "ArrowDown") {
        event.preventDefault();
        items[0].focus();
      }
    });
    results.addEventListener("keydown", function (event) {
      var items = Array.prototype.slice.call(results.querySelectorAll("a.result"));
      var index = items.indexOf(document.activeElement);
      if (event.key === "ArrowDown" && index < items.length - 1) {
        event.preventDefault();
        items[index + 1].focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        (index > 0 ? items[index - 1] : search).focus();
      } else if (event.key === "Home" || event.key === "End") {
        event.preventDefault();
        items[event.key === "Home" ? 0 : items.length - 1].focus();
      } else if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
        // Typing on a result goes on typing in the box.
        search.focus();
      }
    });
    // Clicking elsewhere closes the dropdown; coming back to the box shows it again.
    document.addEventListener("click", function (event) {
      if (!event.target.closest(".global-search")) { results.innerHTML = ""; }
    });
    search.addEventListener("focus", function () {
      if (!results.innerHTML.trim() && search.value.trim().length >= 2) {
        htmx.trigger(search, "search");
      }
    });
  }

  // --- The side panel takes the focus when it opens (first field, else its close button) and
  // gives it back to the button that opened it when it closes.
  var opener = null;
  body.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "panel" && !target.contains(event.detail.elt)) {
      opener = event.detail.elt;
    }
  });
  body.addEventListener("htmx:afterSwap", function (event) {
    var panel = event.detail && event.detail.target;
    if (!panel || panel.id !== "panel" || !panel.innerHTML.trim()) { return; }
    if (panel.contains(document.activeElement) && document.activeElement !== panel) { return; }
    // A field with an error first, then the one marked autofocus, the first field, a button.
    var field = panel.querySelector(".has-error input, .has-error select, .has-error textarea") ||
      panel.querySelector("[autofocus]") ||
      panel.querySelector("input:not([type=hidden]):not([disabled]), select, textarea") ||
      panel.querySelector("button");
    if (field) { field.focus(); }
  });
  function restoreFocus() {
    if (opener && document.body.contains(opener)) { opener.focus(); }
    opener = null;
  }

  // --- A panel's close buttons, and closing it after a successful action (HX-Trigger).
  body.addEventListener("click", function (event) {
    if (event.target.closest("[data-close-panel]")) {
      document.getElementById("panel").innerHTML = "";
      restoreFocus();
    }
  });
  // On the next tick: htmx fires a response's HX-Trigger events one after another on the form
  // inside the panel; emptying the panel at once would detach the form, and the events after
  // this one (order:changed, flash) would never reach <body>.
  body.addEventListener("panel:close", function () {
    setTimeout(function () {
      var panel = document.getElementById("panel");
      if (panel) { panel.innerHTML = ""; }
      restoreFocus();
    }, 0);
  });
})();
