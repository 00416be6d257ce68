/* EcoRadar green code (/greencode/{code}): the score over time, with the colour bands and a
 * marker at every change of colour (ECharts, served by EcoRadar itself).
 *
 * #gc-chart carries data-series (JSON: [{t, score, colour, change, previous}], oldest first),
 * data-bands ([{colour, low, high}], best first) and data-labels (translated names). Times are
 * shown in China Standard Time whatever the browser's zone. When drawn, the node gets
 * data-ready="true" and data-points; "empty" without history, "error" when it failed.
 */
(function () {
  "use strict";

  var COLOURS = { green: "#1b7a3d", blue: "#1f5fa8", yellow: "#e0ad10", red: "#c0392b", black: "#1f1f1f" };
  var BANDS = {
    green: "rgba(27, 122, 61, 0.10)", blue: "rgba(31, 95, 168, 0.10)",
    yellow: "rgba(242, 193, 46, 0.16)", red: "rgba(192, 57, 43, 0.10)", black: "rgba(31, 31, 31, 0.10)"
  };
  /* A shape per colour as well, so a change reads without telling colours apart. */
  var SYMBOLS = { green: "circle", blue: "roundRect", yellow: "triangle", red: "diamond", black: "rect" };
  var CHINA = 8 * 3600 * 1000;
  var TEXT = "#5c6d75";
  var GRID = "#e6ecec";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  /* Times are shifted by +8 h and shown with UTC getters: China Standard Time everywhere. */
  function stamp(ms) {
    var d = new Date(ms);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) +
      " " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }

  function message(node, text, kind) {
    var box = document.createElement("p");
    box.className = "gc-chart-message " + kind;
    box.textContent = text || "";
    node.appendChild(box);
  }

  function option(points, bands, labels) {
    var names = labels.colours || {};
    var line = points.map(function (p) { return [p.ms, p.score]; });
    var changes = points.filter(function (p) { return p.change; }).map(function (p) {
      return {
        value: [p.ms, p.score],
        colour: p.colour,
        symbol: SYMBOLS[p.colour] || "circle",
        itemStyle: { color: COLOURS[p.colour] || TEXT, borderColor: "#ffffff", borderWidth: 1.5 }
      };
    });
    var areas = bands.map(function (b) {
      return [
        { yAxis: b.low, itemStyle: { color: BANDS[b.colour] || "transparent" },
          label: { show: true, position: "insideRight", color: TEXT, formatter: names[b.colour] || b.colour } },
        { yAxis: b.high }
      ];
    });
    var byMs = {};
    points.forEach(function (p) { byMs[p.ms] = p; });
    return {
      animation: false,
      useUTC: true,
      textStyle: { fontFamily: "inherit" },
      grid: { left: 8, right: 64, top: 16, bottom: 8, containLabel: true },
      tooltip: {
        trigger: "axis",
        className: "gc-tooltip",
        formatter: function (params) {
          var items = Array.isArray(params) ? params : [params];
          if (!items.length) return "";
          var p = byMs[items[0].value[0]];
          if (!p) return "";
          return "<strong>" + escapeHtml(stamp(p.ms)) + "</strong><br>" +
            escapeHtml(labels.score) + ": <b>" + escapeHtml(p.score.toFixed(1)) + "</b><br>" +
            escapeHtml(names[p.colour] || p.colour);
        }
      },
      xAxis: {
        type: "time",
        axisLabel: { color: TEXT, hideOverlap: true },
        axisLine: { lineStyle: { color: GRID } }
      },
      yAxis: {
        type: "value", min: 0, max: 100, interval: 20,
        axisLabel: { color: TEXT },
        splitLine: { lineStyle: { color: GRID } }
      },
      series: [
        {
          name: labels.score, type: "line", data: line, step: "end", showSymbol: line.length < 40,
          symbolSize: 5, lineStyle: { color: "#17727a", width: 2 }, itemStyle: { color: "#17727a" },
          markArea: { silent: true, data: areas }, z: 3
        },
        { name: labels.change, type: "scatter", data: changes, symbolSize: 14, z: 4 }
      ]
    };
  }

  function draw() {
    var node = document.getElementById("gc-chart");
    if (!node) return;
    var labels = JSON.parse(node.dataset.labels || "{}");
    var series = JSON.parse(node.dataset.series || "[]");
    var bands = JSON.parse(node.dataset.bands || "[]");
    if (!series.length) {
      message(node, labels.empty, "note");
      node.dataset.points = "0";
      node.dataset.ready = "empty";
      return;
    }
    if (typeof echarts === "undefined") {
      message(node, labels.failed, "error");
      node.dataset.ready = "error";
      return;
    }
    var points = series.map(function (p) {
      return { ms: Date.parse(p.t) + CHINA, score: Number(p.score), colour: p.colour, change: !!p.change };
    });
    try {
      var chart = echarts.init(node, null, { renderer: "canvas" });
      chart.setOption(option(points, bands, labels), true);
      if (window.ResizeObserver) {
        new ResizeObserver(function () { chart.resize(); }).observe(node);
      }
      node.dataset.points = String(points.length);
      node.dataset.changes = String(points.filter(function (p) { return p.change; }).length);
      node.dataset.ready = "true";
    } catch (error) {
      message(node, labels.failed, "error");
      node.dataset.ready = "error";
      if (window.console) window.console.error(error);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
