/* EcoRadar: the evidence charts of the detection depth kinds on /alerts/{id}.
 *
 * #clone-chart: data-chart {times: [iso], this: [value], other: [value]} — both points'
 *   series (the other point on the right axis), times in China Standard Time.
 * #bunching-chart: data-chart {edges: [share], observed: [hours], expected: [hours],
 *   window: [from, to]} — the histogram of the valid hours against the expected shape, the band
 *   just below the limit shaded.
 * #visit-chart: data-chart {days: [iso date], relative: [share], visit: iso date, threshold}
 *   — each day's working hours against the rest of the day (share of the usual), the visit red.
 * #dilution-chart: data-chart {times: [iso], o2: [%], flow: [value], concentration: [value],
 *   usual_o2, usual_concentration} — O2 (left axis, the usual O2 dashed), flow and measured
 *   concentration (each on an axis of its own on the right, the usual concentration dotted).
 * #digits-chart: data-chart {digits: [0-9], observed: [hours], expected: [hours]} — the last
 *   digits of the values against the uniform digits of an honest analyser.
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

  function visitOption(data, labels) {
    var series = [
      { name: labels.day, type: "bar", barCategoryGap: "20%",
        itemStyle: { color: COLORS.main },
        data: data.relative.map(function (v, i) {
          var visit = data.days[i] === data.visit;
          return { value: v, itemStyle: { color: visit ? COLORS.limit : COLORS.main } };
        }) }
    ];
    if (data.threshold !== null && data.threshold !== undefined) {
      series[0].markLine = { silent: true, symbol: "none",
        label: { color: COLORS.limit },
        lineStyle: { color: COLORS.limit, type: "dashed" },
        data: [{ yAxis: data.threshold }] };
    }
    return {
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: [labels.day], bottom: 0 },
      grid: { left: 48, right: 40, top: 16, bottom: 48 },  // room for the threshold's label
      xAxis: { type: "category", data: data.days.map(function (d) { return d.slice(5); }),
               axisLabel: { color: COLORS.text } },
      yAxis: { type: "value", min: 0 },
      series: series
    };
  }

  function dilutionOption(data, labels) {
    var times = data.times.map(china);
    function pairs(values) {
      return values.map(function (v, i) { return [times[i], v]; });
    }
    function axis(color, extra) {
      var out = { type: "value", axisLine: { show: true, lineStyle: { color: color } },
                  axisLabel: { color: color }, splitLine: { show: false } };
      for (var key in extra) out[key] = extra[key];
      return out;
    }
    var concentration = { name: labels.concentration, type: "line", showSymbol: false,
      yAxisIndex: 2, lineStyle: { type: "dashed" }, data: pairs(data.concentration) };
    if (data.usual_concentration !== null && data.usual_concentration !== undefined) {
      // The concentration's own usual level: the drop that the air let in made.
      concentration.markLine = { silent: true, symbol: "none",
        label: { position: "insideStartTop", formatter: labels.usual_concentration,
                 color: COLORS.other },
        lineStyle: { type: "dotted" }, data: [{ yAxis: data.usual_concentration }] };
    }
    return {
      animation: false,
      color: [COLORS.limit, COLORS.main, COLORS.other],
      tooltip: { trigger: "axis" },
      legend: { data: [labels.o2, labels.flow, labels.concentration], bottom: 0 },
      grid: { left: 48, right: 104, top: 24, bottom: 48 },
      xAxis: { type: "time", axisLabel: { color: COLORS.text } },
      // O2 on the left; flow and concentration each on an axis of its own on the right (on one
      // axis the concentration, a tenth of the flow, would lie flat along the bottom).
      yAxis: [axis(COLORS.limit, { min: 0, max: 21, splitLine: { show: true } }),
              axis(COLORS.main, { min: 0 }),
              axis(COLORS.other, { min: 0, offset: 56, max: function (extent) {
                // Room for the usual level, far above the diluted values.
                var top = Math.max(extent.max, data.usual_concentration || 0) * 1.1;
                var step = Math.pow(10, Math.floor(Math.log10(top || 1))) / 2;
                return Math.ceil(top / step) * step;
              } })],
      series: [
        { name: labels.o2, type: "line", showSymbol: false, data: pairs(data.o2),
          markLine: { silent: true, symbol: "none",
                      label: { position: "insideStartTop", formatter: labels.usual,
                               color: COLORS.limit },
                      lineStyle: { type: "dashed" }, data: [{ yAxis: data.usual_o2 }] } },
        { name: labels.flow, type: "line", showSymbol: false, yAxisIndex: 1,
          data: pairs(data.flow) },
        concentration
      ]
    };
  }

  function digitsOption(data, labels) {
    return {
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: [labels.observed, labels.expected], bottom: 0 },
      grid: { left: 48, right: 16, top: 16, bottom: 48 },
      xAxis: { type: "category", data: data.digits.map(String),
               axisLabel: { color: COLORS.text } },
      yAxis: { type: "value" },
      series: [
        { name: labels.observed, type: "bar", itemStyle: { color: COLORS.main },
          data: data.observed.map(function (v, i) {
            return { value: v, itemStyle: { color: i === 0 ? COLORS.limit : COLORS.main } };
          }) },
        { name: labels.expected, type: "line", showSymbol: false,
          itemStyle: { color: COLORS.other }, lineStyle: { color: COLORS.other, width: 2 },
          data: data.expected }
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
    draw("visit-chart", visitOption);
    draw("dilution-chart", dilutionOption);
    draw("digits-chart", digitsOption);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
