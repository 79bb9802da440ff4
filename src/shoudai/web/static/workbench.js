// Bank workbench: "select all" for bulk answer; the 211 compliance chart (ECharts reads data-cp, no inline script).
(function () {
  "use strict";
  function selectAll() {
    document.querySelectorAll("[data-wb-all]").forEach(function (box) {
      box.addEventListener("change", function () {
        box.closest("table").querySelectorAll("input[name=need_bank_id]").forEach(function (b) { b.checked = box.checked; });
      });
    });
  }
  // Series and axis names come from the page (data-cp-names), in the user's language.
  function chart(data, n) {
    return {
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: [n.rate, n.answer, n.accept, n.decide] },
      grid: { left: 48, right: 48, top: 48, bottom: 28 },
      xAxis: { type: "category", data: data.labels },
      yAxis: [{ type: "value", name: "%", max: 100 }, { type: "value", name: n.count, minInterval: 1 }],
      series: [
        { name: n.rate, type: "bar", barMaxWidth: 40, data: data.rate, itemStyle: { color: "#1f5fa8" } },
        { name: n.answer, type: "bar", yAxisIndex: 1, stack: "b", barMaxWidth: 40, data: data.answer, itemStyle: { color: "#c0392b" } },
        { name: n.accept, type: "bar", yAxisIndex: 1, stack: "b", data: data.accept, itemStyle: { color: "#d9822b" } },
        { name: n.decide, type: "bar", yAxisIndex: 1, stack: "b", data: data.decide, itemStyle: { color: "#8e44ad" } }
      ]
    };
  }
  function draw() {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-cp]").forEach(function (el) {
      var c = window.echarts.init(el, null, { renderer: "canvas" });
      c.setOption(chart(JSON.parse(el.getAttribute("data-cp")), JSON.parse(el.getAttribute("data-cp-names"))));
      el.setAttribute("data-cp-ready", "1");
      window.addEventListener("resize", function () { c.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", selectAll);
  window.addEventListener("load", draw);
})();
