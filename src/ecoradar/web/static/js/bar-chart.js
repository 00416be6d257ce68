/* EcoRadar bar charts, shared by the statistics pages: every element with the class
 * "js-bar-chart" is drawn with ECharts from a hidden list on the page, so a page needs no
 * script of its own.
 *
 * The chart node carries:
 *   data-source  the id of a hidden <ul>: one <li> per bar group, its text the group's label
 *                and one data-<key> attribute per series (a number);
 *   data-series  JSON: the series keys, in order (at most four: the colours of stats.css);
 *   data-labels  JSON: a name per series key, and the messages "empty" and "failed";
 *   data-every-label  (optional, no value) show every group's label on the axis, as the
 *                channels of /stats; otherwise ECharts skips labels that would crowd.
 * When drawn, the node gets data-ready="true" and data-rows (how many groups it shows);
 * "empty" when every value is zero, "error" when the chart could not be drawn.
 * Used by /stats (clues per channel), /stats/reminders (outcomes per period) and
 * /stats/praise (per month).
 */
(function () {
  "use strict";

  var COLORS = ["#17727a", "#0f4f57", "#3d9a6a", "#c2452d"];
  var TEXT = "#5c6d75";
  var GRID = "#e6ecec";

  function message(node, text, kind) {
    var box = document.createElement("p");
    box.className = "st-chart-message " + kind;
    box.textContent = text || "";
    node.appendChild(box);
  }

  function rows(listId, series) {
    var list = document.getElementById(listId);
    if (!list) return [];
    return Array.prototype.map.call(list.querySelectorAll("li"), function (item) {
      var row = { name: item.textContent.trim() };
      series.forEach(function (key) { row[key] = Number(item.getAttribute("data-" + key) || 0); });
      return row;
    });
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }

  /* Classes only, no style attributes (the Content-Security-Policy refuses ECharts' own). */
  function tooltipHtml(params) {
    var items = Array.isArray(params) ? params : [params];
    if (!items.length) return "";
    var lines = ["<strong>" + escapeHtml(items[0].axisValueLabel || items[0].name) + "</strong>"];
    items.forEach(function (item) {
      lines.push("<span class=\"st-tip-mark st-tip-mark-" + Number(item.seriesIndex) +
        "\"></span>" + escapeHtml(item.seriesName) + ": <b>" + Number(item.value) + "</b>");
    });
    return lines.join("<br>");
  }

  function option(data, series, labels, narrow, everyLabel) {
    return {
      animation: false,
      color: COLORS,
      textStyle: { fontFamily: "inherit" },
      legend: { top: 0, itemGap: narrow ? 8 : 10, textStyle: { color: TEXT } },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, className: "st-tooltip",
        formatter: tooltipHtml },
      grid: { left: 8, right: 16, top: narrow ? 72 : 40, bottom: 8, containLabel: true },
      xAxis: {
        type: "category",
        data: data.map(function (row) { return row.name; }),
        axisLabel: { color: TEXT, interval: everyLabel ? 0 : "auto", rotate: narrow ? 40 : 0 },
        axisLine: { lineStyle: { color: GRID } }
      },
      yAxis: { type: "value", minInterval: 1, axisLabel: { color: TEXT },
        splitLine: { lineStyle: { color: GRID } } },
      series: series.map(function (key) {
        return { name: labels[key] || key, type: "bar", barMaxWidth: 24,
          data: data.map(function (row) { return row[key]; }) };
      })
    };
  }

  function draw(node) {
    var labels = JSON.parse(node.dataset.labels || "{}");
    var series = JSON.parse(node.dataset.series || "[]");
    var data = rows(node.dataset.source, series);
    var everyLabel = node.hasAttribute("data-every-label");
    node.dataset.rows = String(data.length);
    var any = data.some(function (row) {
      return series.some(function (key) { return row[key] > 0; });
    });
    if (!any) {
      message(node, labels.empty, "note");
      node.dataset.ready = "empty";
      return;
    }
    if (typeof echarts === "undefined") {
      message(node, labels.failed, "error");
      node.dataset.ready = "error";
      return;
    }
    try {
      var chart = echarts.init(node, null, { renderer: "canvas" });
      var render = function () {
        chart.setOption(option(data, series, labels, node.clientWidth < 560, everyLabel), true);
      };
      render();
      if (window.ResizeObserver) {
        new ResizeObserver(function () { chart.resize(); render(); }).observe(node);
      }
      node.dataset.ready = "true";
    } catch (error) {
      message(node, labels.failed, "error");
      node.dataset.ready = "error";
      if (window.console) window.console.error(error);
    }
  }

  function drawAll() {
    Array.prototype.forEach.call(document.querySelectorAll(".js-bar-chart"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
