/* EcoRadar service reminder outcomes (/stats/reminders): reminders issued, issues, issues
 * solved and issues that became violations, per period, as bars.
 *
 * #outcome-chart carries data-labels (JSON: series names and messages); #outcome-chart-data is
 * a hidden list, one <li> per period with data-reminders, data-issues, data-solved and
 * data-violations and the period's label as its text. When drawn, the chart node gets
 * data-ready="true" and data-periods (how many periods it shows); "empty" without reminders,
 * "error" when the chart could not be drawn.
 */
(function () {
  "use strict";

  var COLORS = ["#0f4f57", "#17727a", "#3d9a6a", "#c2452d"];
  var SERIES = ["reminders", "issues", "solved", "violations"];
  var TEXT = "#5c6d75";
  var GRID = "#e6ecec";

  function message(node, text, kind) {
    var box = document.createElement("p");
    box.className = "st-chart-message " + kind;
    box.textContent = text || "";
    node.appendChild(box);
  }

  function rows() {
    var list = document.getElementById("outcome-chart-data");
    if (!list) return [];
    return Array.prototype.map.call(list.querySelectorAll("li"), function (item) {
      return {
        name: item.textContent.trim(),
        reminders: Number(item.dataset.reminders || 0),
        issues: Number(item.dataset.issues || 0),
        solved: Number(item.dataset.solved || 0),
        violations: Number(item.dataset.violations || 0)
      };
    });
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }

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
      legend: { top: 0, textStyle: { color: TEXT } },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, className: "st-tooltip",
        formatter: tooltipHtml },
      grid: { left: 8, right: 16, top: narrow ? 72 : 40, bottom: 8, containLabel: true },
      xAxis: {
        type: "category",
        data: data.map(function (row) { return row.name; }),
        axisLabel: { color: TEXT, rotate: narrow ? 40 : 0 },
        axisLine: { lineStyle: { color: GRID } }
      },
      yAxis: { type: "value", minInterval: 1, axisLabel: { color: TEXT },
        splitLine: { lineStyle: { color: GRID } } },
      series: SERIES.map(function (key) {
        return { name: labels[key] || key, type: "bar", barMaxWidth: 24,
          data: data.map(function (row) { return row[key]; }) };
      })
    };
  }

  function draw() {
    var node = document.getElementById("outcome-chart");
    if (!node) return;
    var labels = JSON.parse(node.dataset.labels || "{}");
    var data = rows();
    var any = data.some(function (row) { return row.reminders > 0; });
    node.dataset.periods = String(data.length);
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
        chart.setOption(option(data, labels, node.clientWidth < 560), true);
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

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
