// The assisted-order screen: Enter in a lookup picks its first result, and after adding an
// item the SKU search is ready for the next one. The screen works without this file.
(function () {
  "use strict";
  var lastAction = "";

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") { return; }
    var lookups = { "customer-search": "#customer-results button[name=select_customer]",
                    "sku-search": "#sku-results button[name=add_sku]:not([disabled])" };
    var selector = lookups[event.target.id];
    if (!selector) { return; }
    event.preventDefault();  // not the form's default button: pick the first result instead
    var first = document.querySelector(selector);
    if (first) { first.click(); }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("#order-form button[name]");
    lastAction = button ? button.name : "";
  });

  document.body.addEventListener("htmx:afterSettle", function (event) {
    if (!event.detail.elt || event.detail.elt.id !== "order-form") { return; }
    var focus = { add_sku: "#sku-search", select_customer: "#sku-search", clear_customer: "#customer-search" }[lastAction];
    var field = focus && document.querySelector(focus);
    if (field) { field.focus(); }
    lastAction = "";
  });
})();
