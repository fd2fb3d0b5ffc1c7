// bayfin console: charts from JSON blocks (no inline scripts, so the CSP stays strict), the printing
// button, and focus on the first error of a form.
(function () {
  "use strict";
  function drawCharts(root) {
    if (!window.echarts) { return; }
    root.querySelectorAll("div.chart[id]").forEach(function (el) {
      var data = document.getElementById(el.id + "-option");
      if (!data || el.dataset.drawn) { return; }
      el.dataset.drawn = "1";
      var option = JSON.parse(data.textContent);
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option);
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  function focusFirstError(root) {
    var summary = root.querySelector("[data-focus-first-error]");
    if (!summary) { return; }
    var first = root.querySelector("[aria-invalid='true']");
    (first || summary).focus();
  }
  document.addEventListener("DOMContentLoaded", function () {
    drawCharts(document);
    focusFirstError(document);
    document.querySelectorAll("[data-print]").forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    drawCharts(event.target);
    focusFirstError(event.target);
  });
})();
