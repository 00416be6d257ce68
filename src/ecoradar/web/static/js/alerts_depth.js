/* EcoRadar: the evidence charts of the detection depth kinds on /alerts/{id}.
 *
 * #clone-chart: data-chart {times: [iso], this: [value], other: [value]} — both points'
 *   series (the other point on the right axis), times in China Standard Time.
 * #bunching-chart: data-chart {edges: [share], observed: [hours], expected: [hours],
 *   window: [from, to]} — the histogram of the valid hours against the expected shape, the band
 *   just below the limit shaded.
 * Each node gets data-ready="true" once drawn ("error" when it could not be).
 */
(function () {
  "use strict";

  var CHINA_OFFSET = 8 * 3600 * 1000;
  var COLORS = { main: "#17727a", other: "#c27c2d", limit: "#c2452d",
                 window: "rgba(194, 69, 45, 0.12)", text: "#5c6d75" };

  function china(text) {
    return new Date(Date.parse(text) + CHINA_OFFSET);
  }

  function cloneOption(data, labels) {
    var times = data.times.map(china);
    function pairs(values) {
      return values.map(function (v, i) { return [times[i], v]; });
    }
    return {
      animation: false,
      color: [COLORS.main, COLORS.other],
      tooltip: { trigger: "axis" },
      legend: { data: [labels["this"], labels.other], bottom: 0 },
      grid: { left: 48, right: 48, top: 16, bottom: 48 },
      xAxis: { type: "time", axisLabel: { color: COLORS.text } },
      yAxis: [{ type: "value", scale: true }, { type: "value", scale: true }],
      series: [
        { name: labels["this"], type: "line", showSymbol: false, data: pairs(data["this"]) },
        { name: labels.other, type: "line", showSymbol: false, yAxisIndex: 1,
          lineStyle: { type: "dashed" }, data: pairs(data.other) }
      ]
    };
  }

  function bunchingOption(data, labels) {
    var names = data.edges.map(function (e) { return Math.round(e * 1000) / 10 + "%"; });
    var from = data.window ? data.window[0] : 1;
    var to = data.window ? data.window[1] : 1;
    return {
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: [labels.observed, labels.expected], bottom: 0 },
      grid: { left: 48, right: 16, top: 16, bottom: 48 },
      xAxis: { type: "category", data: names, axisLabel: { color: COLORS.text } },
      yAxis: { type: "value" },
      series: [
        { name: labels.observed, type: "bar", barCategoryGap: "5%",
          itemStyle: { color: COLORS.main },
          data: data.observed.map(function (v, i) {
            var inside = data.edges[i] >= from - 1e-9 && data.edges[i] < to - 1e-9;
            return { value: v, itemStyle: { color: inside ? COLORS.limit : COLORS.main } };
          }),
          markArea: { silent: true, itemStyle: { color: COLORS.window }, data: [[
            { name: labels.window, xAxis: names[data.edges.findIndex(function (e) { return e >= from - 1e-9; })] },
            { xAxis: names[data.edges.findIndex(function (e) { return e >= to - 1e-9; }) - 1] }
          ]] } },
        { name: labels.expected, type: "line", showSymbol: false, smooth: true,
          itemStyle: { color: COLORS.other }, lineStyle: { color: COLORS.other, width: 2 },
          data: data.expected.map(function (v) { return Math.round(v * 10) / 10; }) }
      ]
    };
  }

  function draw(id, build) {
    var node = document.getElementById(id);
    if (!node) return;
    var labels = JSON.parse(node.dataset.labels || "{}");
    try {
      if (typeof echarts === "undefined") throw new Error("ECharts is not loaded");
      var data = JSON.parse(node.dataset.chart);
      var chart = echarts.init(node, null, { renderer: "canvas" });
      chart.setOption(build(data, labels), true);
      if (window.ResizeObserver) {
        new ResizeObserver(function () { chart.resize(); }).observe(node);
      }
      node.dataset.ready = "true";
    } catch (error) {
      var message = node.parentNode.querySelector(".chart-message");
      if (message) {
        message.textContent = labels.failed || "";
        message.className = "chart-message error";
        message.hidden = false;
      }
      node.dataset.ready = "error";
      if (window.console) window.console.error(error);
    }
  }

  function start() {
    draw("clone-chart", cloneOption);
    draw("bunching-chart", bunchingOption);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
