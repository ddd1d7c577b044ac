// The insights pages' charts, drawn with the vendored Chart.js from the data the server puts next
// to each canvas (<div data-chart><canvas></canvas><script type="application/json">…</script>).
// Every bar and point leads to the orders behind it; the table beside each chart holds the same
// numbers as links, for keyboards and screen readers. Charts are redrawn when htmx swaps a part
// of the page in (filters, live alerts) and destroyed with the part they belonged to.
(function () {
  "use strict";
  if (!window.Chart) { return; }

  var style = getComputedStyle(document.documentElement);
  function cssColor(name, fallback) { return (style.getPropertyValue(name) || "").trim() || fallback; }
  var ACCENT = cssColor("--accent", "#2f5bea");
  var MUTED = cssColor("--muted", "#5f6b7a");
  var LINE = "#eef1f5";
  var BASELINE = "#b8c2d3";

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 12;
  Chart.defaults.color = MUTED;
  Chart.defaults.animation = false;

  var lang = document.documentElement.lang || "en";
  var dayFormat = new Intl.DateTimeFormat(lang, { month: "short", day: "numeric", timeZone: "UTC" });
  function dayLabel(iso) {
    var match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    if (!match) { return iso; }
    return dayFormat.format(new Date(Date.UTC(+match[1], +match[2] - 1, +match[3])));
  }

  function readData(box) {
    var script = box.querySelector("script[type='application/json']");
    if (!script) { return null; }
    try { return JSON.parse(script.textContent); } catch (e) { return null; }
  }

  // A click (or tap) on a bar or point opens the orders behind it; the cursor says so.
  function clickable(data) {
    return {
      onClick: function (event, elements) {
        if (elements.length && data.urls && data.urls[elements[0].index]) {
          window.location.assign(data.urls[elements[0].index]);
        }
      },
      onHover: function (event, elements) {
        event.native.target.style.cursor = elements.length ? "pointer" : "default";
      }
    };
  }

  function tooltip(data) {
    return {
      displayColors: false,
      callbacks: {
        title: function (items) {
          var label = items[0].label;
          return data.kind === "bar" ? label : dayLabel(label);
        },
        label: function (item) {
          var text = data.display[item.dataIndex];
          var detail = data.details && data.details[item.dataIndex];
          return detail ? text + "  (" + detail + ")" : text;
        }
      }
    };
  }

  // Axis ticks in the measure's unit: "40 %" for shares, plain numbers otherwise.
  function valueTicks(data) {
    return data.unit === "percent" ? { callback: function (value) { return value + " %"; } } : {};
  }

  function barChart(canvas, data) {
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{
          label: data.label, data: data.values, backgroundColor: ACCENT, hoverBackgroundColor: "#2448c4",
          borderRadius: 4, maxBarThickness: 22, categoryPercentage: 0.8
        }]
      },
      options: Object.assign({}, clickable(data), {
        indexAxis: "y", responsive: true, maintainAspectRatio: false,
        plugins: { legend: { display: false }, tooltip: tooltip(data) },
        scales: {
          x: { beginAtZero: true, grid: { color: LINE }, border: { display: false }, ticks: valueTicks(data) },
          y: { grid: { display: false }, ticks: { color: "#1b1f24", autoSkip: false } }
        }
      })
    });
  }

  function lineChart(canvas, data, compact) {
    var options = Object.assign({}, clickable(data), {
      responsive: true, maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { display: false }, tooltip: tooltip(data) },
      scales: compact ? { x: { display: false }, y: { display: false, beginAtZero: true } } : {
        x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 16, callback: function (value) { return dayLabel(this.getLabelForValue(value)); } } },
        y: { beginAtZero: true, grid: { color: LINE }, border: { display: false }, ticks: valueTicks(data) }
      },
      layout: compact ? { padding: { top: 4, bottom: 2 } } : {}
    });
    return new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [{
          label: data.label, data: data.values, borderColor: ACCENT, borderWidth: compact ? 1.5 : 2,
          backgroundColor: "rgba(47, 91, 234, 0.10)", fill: true, tension: 0.25, spanGaps: true,
          pointRadius: compact ? 0 : 3, pointHoverRadius: 5, pointHitRadius: compact ? 8 : 12,
          pointBackgroundColor: ACCENT
        }]
      },
      options: options
    });
  }

  // The alert's reasons: share of contacts now against the baseline, side by side.
  function driversChart(canvas, data) {
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: data.now_label, data: data.now, backgroundColor: "#d92d20", borderRadius: 3, maxBarThickness: 14 },
          { label: data.baseline_label, data: data.baseline, backgroundColor: BASELINE, borderRadius: 3, maxBarThickness: 14 }
        ]
      },
      options: {
        indexAxis: "y", responsive: true, maintainAspectRatio: false,
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 10, boxHeight: 10 } },
          tooltip: { callbacks: { label: function (item) { return item.dataset.label + ": " + (item.raw === null ? "—" : item.raw + " %"); } } }
        },
        scales: {
          x: { beginAtZero: true, grid: { color: LINE }, border: { display: false }, ticks: { callback: function (v) { return v + " %"; } } },
          y: { grid: { display: false }, ticks: { color: "#1b1f24" } }
        }
      }
    });
  }

  function draw(box) {
    var canvas = box.querySelector("canvas");
    if (!canvas || Chart.getChart(canvas)) { return; }
    var data = readData(box);
    if (!data) { return; }
    if (data.kind === "bar") { barChart(canvas, data); }
    else if (data.kind === "line") { lineChart(canvas, data, false); }
    else if (data.kind === "sparkline") { lineChart(canvas, data, true); }
    else if (data.kind === "drivers") { driversChart(canvas, data); }
    box.dataset.drawn = "true";
  }

  function drawAll(root) {
    if (root.matches && root.matches("[data-chart]")) { draw(root); }
    (root.querySelectorAll ? root.querySelectorAll("[data-chart]") : []).forEach(draw);
  }

  drawAll(document);
  if (window.htmx) {
    htmx.onLoad(drawAll);
    // Free a chart before htmx replaces the part of the page it is in.
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      var target = event.detail && event.detail.target;
      if (!target) { return; }
      target.querySelectorAll("canvas").forEach(function (canvas) {
        var chart = Chart.getChart(canvas);
        if (chart) { chart.destroy(); }
      });
    });
  }

  // A tile's "i" button shows or hides its definition (the title attribute shows it on hover).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-toggle-definition]");
    if (!button) { return; }
    var definition = document.getElementById(button.getAttribute("aria-controls"));
    if (!definition) { return; }
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    definition.hidden = !open;
  });
})();
