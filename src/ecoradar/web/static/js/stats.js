/* EcoRadar clue statistics (/stats): a bar chart of the clues per channel.
 *
 * #stats-chart carries data-labels (JSON: series names and messages); #stats-chart-data is a
 * hidden list, one <li> per channel with data-clues, data-opened, data-verified and
 * data-duplicates and the channel's name as its text (translated by the page). When drawn,
 * the chart node gets data-ready="true" and data-channels (how many bars groups it shows);
 * "empty" without clues, "error" when the chart could not be drawn.
 */
(function () {
  "use strict";

  var COLORS = ["#17727a", "#0f4f57", "#3d9a6a", "#c2452d"];
  var SERIES = ["clues", "opened", "verified", "duplicates"];
  var TEXT = "#5c6d75";
  var GRID = "#e6ecec";

  function log(error) {
    if (window.console) window.console.error(error);
  }

  function message(node, text, kind) {
    var box = document.createElement("p");
    box.className = "st-chart-message " + kind;
    box.textContent = text || "";
    node.appendChild(box);
  }

  function rows() {
    var list = document.getElementById("stats-chart-data");
    if (!list) return [];
    return Array.prototype.map.call(list.querySelectorAll("li"), function (item) {
      return {
        name: item.textContent.trim(),
        clues: Number(item.dataset.clues || 0),
        opened: Number(item.dataset.opened || 0),
        verified: Number(item.dataset.verified || 0),
        duplicates: Number(item.dataset.duplicates || 0)
      };
    });
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }

  /* The tooltip's HTML: classes only, no style attributes (ECharts' own markers have them,
   * which the Content-Security-Policy refuses). */
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

  function option(data, labels, narrow) {
    return {
      animation: false,
      color: COLORS,
      textStyle: { fontFamily: "inherit" },
      legend: { top: 0, itemGap: narrow ? 8 : 10, textStyle: { color: TEXT } },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        className: "st-tooltip",
        formatter: tooltipHtml
      },
      grid: { left: 8, right: 16, top: narrow ? 72 : 40, bottom: 8, containLabel: true },
      xAxis: {
        type: "category",
        data: data.map(function (row) { return row.name; }),
        axisLabel: { color: TEXT, interval: 0, rotate: narrow ? 40 : 0 },
        axisLine: { lineStyle: { color: GRID } }
      },
      yAxis: {
        type: "value",
        minInterval: 1,
        axisLabel: { color: TEXT },
        splitLine: { lineStyle: { color: GRID } }
      },
      series: SERIES.map(function (key) {
        return {
          name: labels[key] || key,
          type: "bar",
          barMaxWidth: 28,
          data: data.map(function (row) { return row[key]; })
        };
      })
    };
  }

  function draw() {
    var node = document.getElementById("stats-chart");
    if (!node) return;
    var labels = JSON.parse(node.dataset.labels || "{}");
    var data = rows();
    if (!data.length) {
      message(node, labels.empty, "note");
      node.dataset.channels = "0";
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
        chart.setOption(option(data, labels, node.clientWidth < 560), true);
      };
      render();
      if (window.ResizeObserver) {
        new ResizeObserver(function () { chart.resize(); render(); }).observe(node);
      }
      node.dataset.channels = String(data.length);
      node.dataset.ready = "true";
    } catch (error) {
      message(node, labels.failed, "error");
      node.dataset.ready = "error";
      log(error);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
