/* EcoRadar power curves (/power/{code}): production units above, treatment facilities below,
 * on one time axis, with the episodes the rules found shaded in both panels.
 *
 * #power-chart carries data-chart (JSON {start, end: unix seconds; meters: [{meter, unit,
 * unit_name, role, running_kw, idle_kw, points: [[unix, kw]], gaps: [[from, to]]}]; episodes:
 * [{rule, subject, start, end}]}) and data-labels. A treatment episode is shaded in both
 * panels, a monitoring one (production running, monitoring silent) above only. Times are drawn in China Standard Time
 * whatever the browser's zone (shifted by +8 h on a UTC axis, as series.js does). A gap (the
 * meter sent nothing) breaks its line: unknown, never drawn as zero.
 */
(function () {
  "use strict";

  var CHINA_OFFSET = 8 * 3600 * 1000;
  var PALETTE = {
    production: ["#17727a", "#2f5d9e", "#6b4fa3", "#0f8a5f"],
    treatment: ["#c2452d", "#b7791f", "#8a3b6b", "#5c6d75"]
  };
  var SHADE = {
    treatment_idle: "rgba(194, 69, 45, 0.14)",
    monitoring_offline: "rgba(183, 121, 31, 0.13)"
  };

  function ms(unix) {
    return unix * 1000 + CHINA_OFFSET;
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function clock(value) {
    var d = new Date(value);
    return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  /* [x, kw] pairs with a null at the start of each gap, so the line breaks there. */
  function line(meter) {
    var out = meter.points.map(function (p) { return [ms(p[0]), p[1]]; });
    meter.gaps.forEach(function (gap) { out.push([ms(gap[0]), null]); });
    out.sort(function (a, b) { return a[0] - b[0]; });
    return out;
  }

  function option(data, labels) {
    var roles = ["production", "treatment"];
    var series = [];
    var count = { production: 0, treatment: 0 };
    data.meters.forEach(function (meter) {
      var role = meter.role === "treatment" ? "treatment" : "production";
      var colors = PALETTE[role];
      var color = colors[count[role]++ % colors.length];
      series.push({
        name: meter.unit_name + " · " + meter.meter,
        type: "line",
        xAxisIndex: roles.indexOf(role),
        yAxisIndex: roles.indexOf(role),
        data: line(meter),
        showSymbol: false,
        connectNulls: false,
        lineStyle: { width: 1.8, color: color },
        itemStyle: { color: color },
        emphasis: { disabled: true },
        markLine: role === "treatment" ? {
          silent: true,
          symbol: "none",
          lineStyle: { color: color, type: "dashed", width: 1 },
          label: { formatter: labels.idle + " {c} kW", position: "insideEndTop", color: color },
          data: [{ yAxis: meter.idle_kw }]
        } : undefined
      });
    });
    roles.forEach(function (role, index) {
      series.push({
        name: "episodes-" + role,
        type: "line",
        xAxisIndex: index,
        yAxisIndex: index,
        data: [],
        silent: true,
        markArea: {
          silent: true,
          label: { show: false },
          data: data.episodes.filter(function (e) {
            // monitoring's silence concerns production: shaded above only
            return role === "production" || e.rule === "treatment_idle";
          }).map(function (e) {
            return [{ xAxis: ms(e.start), itemStyle: { color: SHADE[e.rule] || SHADE.treatment_idle } },
                    { xAxis: ms(e.end) }];
          })
        }
      });
    });
    var axis = function (index) {
      return {
        type: "time",
        gridIndex: index,
        min: ms(data.start),
        max: ms(data.end),
        axisLabel: { formatter: clock, hideOverlap: true, show: index === 1 },
        splitLine: { show: false }
      };
    };
    var value = function (index) {
      return {
        type: "value",
        gridIndex: index,
        name: labels[roles[index]] + " · " + labels.kw,
        nameTextStyle: { align: "left" },
        splitLine: { lineStyle: { color: "#e6ecec" } }
      };
    };
    return {
      useUTC: true,
      animation: false,
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      legend: {
        top: 0,
        type: "scroll",
        data: series.filter(function (s) { return s.name.indexOf("episodes-") !== 0; })
          .map(function (s) { return s.name; })
      },
      grid: [
        { left: 56, right: 24, top: 56, height: "32%" },
        { left: 56, right: 24, top: "58%", height: "32%" }
      ],
      axisPointer: { link: [{ xAxisIndex: "all" }] },
      tooltip: {
        trigger: "axis",
        confine: true,
        formatter: function (params) {
          var list = (Array.isArray(params) ? params : [params]).filter(function (p) {
            return p.seriesName.indexOf("episodes-") !== 0 && p.value && p.value[1] !== null;
          });
          if (!list.length) return "";
          return "<strong>" + clock(list[0].value[0]) + "</strong><br>" + list.map(function (p) {
            return escapeHtml(p.seriesName) + ": <b>" + Number(p.value[1].toFixed(1)) + "</b> kW";
          }).join("<br>");
        }
      },
      xAxis: [axis(0), axis(1)],
      yAxis: [value(0), value(1)],
      series: series
    };
  }

  function draw() {
    var node = document.getElementById("power-chart");
    if (!node || typeof echarts === "undefined") return;
    var labels = JSON.parse(node.dataset.labels || "{}");
    try {
      var data = JSON.parse(node.dataset.chart);
      var chart = echarts.init(node, null, { renderer: "canvas" });
      chart.setOption(option(data, labels), true);
      if (window.ResizeObserver) {
        new ResizeObserver(function () { chart.resize(); }).observe(node);
      }
      node.dataset.meters = String(data.meters.length);
      node.dataset.episodes = String(data.episodes.length);
      node.dataset.ready = "true";
    } catch (error) {
      var message = document.getElementById("power-message");
      if (message) {
        message.textContent = labels.failed || "";
        message.className = "chart-message error";
        message.hidden = false;
      }
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
