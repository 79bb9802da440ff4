// Oversight dashboard charts: ECharts reads each box's data-ov attribute (no inline scripts under the CSP); series
// and axis names come from data-ov-names, in the user's language.
(function () {
  "use strict";
  function trend(data, n) {
    return {
      tooltip: { trigger: "axis" }, legend: { data: [n.households, n.amount] },
      grid: { left: 56, right: 64, top: 36, bottom: 28 },
      xAxis: { type: "category", data: data.labels },
      yAxis: [{ type: "value", name: n.hh_axis, minInterval: 1 }, { type: "value", name: n.wan_axis }],
      series: [
        { name: n.households, type: "bar", data: data.households, itemStyle: { color: "#1f5fa8" } },
        { name: n.amount, type: "line", yAxisIndex: 1, data: data.amount_wan, itemStyle: { color: "#d9822b" } }
      ]
    };
  }
  function rank(data, n) {
    var labels = data.labels.slice().reverse(), values = data.households.slice().reverse();
    return {
      tooltip: { trigger: "axis" }, grid: { left: 110, right: 24, top: 12, bottom: 24 },
      xAxis: { type: "value", minInterval: 1 }, yAxis: { type: "category", data: labels },
      series: [{ name: n.ytd, type: "bar", data: values, itemStyle: { color: "#1f5fa8" } }]
    };
  }
  function draw() {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-ov-chart]").forEach(function (el) {
      var data = JSON.parse(el.getAttribute("data-ov")), n = JSON.parse(el.getAttribute("data-ov-names"));
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(el.getAttribute("data-ov-chart") === "trend" ? trend(data, n) : rank(data, n));
      el.setAttribute("data-ov-ready", "1");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  window.addEventListener("load", draw);
})();
