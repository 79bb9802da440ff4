// Oversight dashboard charts: ECharts reads each box's data-ov attribute (no inline scripts under the CSP).
(function () {
  "use strict";
  function trend(data) {
    return {
      tooltip: { trigger: "axis" }, legend: { data: ["首贷户数", "首贷金额（万元）"] },
      grid: { left: 56, right: 64, top: 36, bottom: 28 },
      xAxis: { type: "category", data: data.labels },
      yAxis: [{ type: "value", name: "户", minInterval: 1 }, { type: "value", name: "万元" }],
      series: [
        { name: "首贷户数", type: "bar", data: data.households, itemStyle: { color: "#1f5fa8" } },
        { name: "首贷金额（万元）", type: "line", yAxisIndex: 1, data: data.amount_wan, itemStyle: { color: "#d9822b" } }
      ]
    };
  }
  function rank(data) {
    var labels = data.labels.slice().reverse(), values = data.households.slice().reverse();
    return {
      tooltip: { trigger: "axis" }, grid: { left: 110, right: 24, top: 12, bottom: 24 },
      xAxis: { type: "value", minInterval: 1 }, yAxis: { type: "category", data: labels },
      series: [{ name: "本年累计户数", type: "bar", data: values, itemStyle: { color: "#1f5fa8" } }]
    };
  }
  function draw() {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-ov-chart]").forEach(function (el) {
      var data = JSON.parse(el.getAttribute("data-ov"));
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(el.getAttribute("data-ov-chart") === "trend" ? trend(data) : rank(data));
      el.setAttribute("data-ov-ready", "1");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  window.addEventListener("load", draw);
})();
