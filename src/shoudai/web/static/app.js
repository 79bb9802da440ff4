// Shoudai page helpers: CSRF header for htmx, confirmation prompts, ECharts charts. No inline scripts (CSP).
(function () {
  "use strict";
  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }
  // htmx requests carry the session's CSRF token as a header.
  document.addEventListener("htmx:config:request", function (evt) {
    var ctx = evt.detail && evt.detail.ctx;
    if (ctx && ctx.request && ctx.request.headers) { ctx.request.headers["X-CSRF-Token"] = csrf(); }
    else if (evt.detail && evt.detail.headers) { evt.detail.headers["X-CSRF-Token"] = csrf(); }
  });
  document.addEventListener("submit", function (evt) {
    var msg = evt.target.getAttribute && evt.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { evt.preventDefault(); }
  });
  function drawCharts() {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var data = JSON.parse(el.querySelector('script[type="application/json"]').textContent);
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption({
        grid: { left: 40, right: 16, top: 16, bottom: 28 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: data.labels },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ type: "bar", data: data.values, itemStyle: { color: "#1f5fa8" } }]
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  window.addEventListener("load", drawCharts);
})();
