/* EcoRadar alerts: the live list (/alerts) and the evidence chart (/alerts/{id}).
 *
 * Live list. #alert-live-meta (inside the results, so it follows the filters) carries
 *   data-stream-url  /api/alerts/stream?<filters>: Server-Sent Events, one "alert" event per
 *                    alert raised or changed
 *   data-rows-url    /alerts/rows?<filters and page>: the results part of the page, rendered
 * On events the results are fetched again (one fetch for a burst of events) and every row that
 * is new or changed is highlighted for a few seconds. #live-status says whether the stream is
 * connected. EventSource reconnects by itself when the server ends a stream (every 5 minutes).
 *
 * Evidence chart. #evidence-chart carries data-chart (JSON {values: [[time, value]], limit,
 * unit, window: {start, end}}) and data-labels; times are drawn in China Standard Time
 * whatever the browser's zone (shifted by +8 h on a UTC axis, as series.js does).
 */
(function () {
  "use strict";

  var HOUR = 3600 * 1000;
  var CHINA_OFFSET = 8 * HOUR;
  var HIGHLIGHT_MS = 6000;
  var LOST_AFTER_MS = 3000;
  var COLORS = {
    main: "#17727a",
    limit: "#c2452d",
    window: "rgba(194, 69, 45, 0.12)",
    grid: "#e6ecec",
    text: "#5c6d75"
  };

  function log(error) {
    if (window.console) window.console.error(error);
  }

  /* --- the live list ------------------------------------------------------------------- */

  function liveList() {
    var results = document.getElementById("alert-results");
    var status = document.getElementById("live-status");
    if (!results || !status) return;
    var labels = JSON.parse(status.dataset.labels || "{}");
    var source = null;
    var streamUrl = null;
    var timer = null;
    var lostTimer = null;
    var busy = false;
    var again = false;

    function meta() {
      return document.getElementById("alert-live-meta");
    }

    function setState(state) {
      status.dataset.state = state;
      var text = status.querySelector(".live-text");
      if (text) text.textContent = labels[state] || state;
    }

    function connect(force) {
      var node = meta();
      if (!node || !window.EventSource) return;
      var url = node.dataset.streamUrl;
      if (source && url === streamUrl && !force) return;
      if (source) source.close();
      streamUrl = url;
      source = new EventSource(url);
      setState("connecting");
      source.onopen = function () {
        clearTimeout(lostTimer);
        setState("live");
      };
      source.onerror = function () {
        var current = source;
        if (current.readyState === EventSource.CLOSED) {
          setState("lost");
          setTimeout(function () { if (current === source) connect(true); }, 5000);
          return;
        }
        clearTimeout(lostTimer); // reconnecting by itself: say so only if it takes a while
        lostTimer = setTimeout(function () {
          if (current === source && current.readyState !== EventSource.OPEN) setState("lost");
        }, LOST_AFTER_MS);
      };
      source.addEventListener("alert", schedule);
    }

    function versions() {
      var known = {};
      Array.prototype.forEach.call(results.querySelectorAll("#alert-rows tr[data-id]"), function (row) {
        known[row.dataset.id] = row.dataset.version;
      });
      return known;
    }

    function highlight(before) {
      Array.prototype.forEach.call(results.querySelectorAll("#alert-rows tr[data-id]"), function (row) {
        var old = before[row.dataset.id];
        if (old === row.dataset.version) return;
        row.dataset.live = old === undefined ? "new" : "changed";
        row.classList.add("is-new");
        setTimeout(function () { row.classList.remove("is-new"); }, HIGHLIGHT_MS);
      });
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(refresh, 120);
    }

    function refresh() {
      var node = meta();
      if (!node) return;
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      var url = node.dataset.rowsUrl;
      fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(url + ": HTTP " + response.status);
          return response.text();
        })
        .then(function (html) {
          var current = meta();
          if (!current || current.dataset.rowsUrl !== url) return; // the filters changed meanwhile
          var before = versions();
          results.innerHTML = html;
          if (window.htmx) window.htmx.process(results);
          highlight(before);
          results.dataset.refreshed = String(Number(results.dataset.refreshed || "0") + 1);
        })
        .catch(log)
        .then(function () {
          busy = false;
          if (again) {
            again = false;
            schedule();
          }
        });
    }

    /* A card narrows the list to its kind: through the form, so every filter stays in step. */
    results.addEventListener("click", function (event) {
      var card = event.target.closest(".kind-card[data-kind]");
      var select = document.getElementById("filter-kind");
      if (!card || !select || !window.htmx) return;
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      select.value = card.dataset.kind;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.target === results) connect(false);
    });
    window.addEventListener("pagehide", function () {
      if (source) source.close();
      source = null;
    });
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) connect(true);
    });
    connect(false);
  }

  /* --- the evidence chart -------------------------------------------------------------- */

  function chinaMs(iso) {
    return Date.parse(iso) + CHINA_OFFSET;
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function chinaText(ms) {
    var d = new Date(ms);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  }

  function axisTime(ms) {
    var d = new Date(ms);
    if (d.getUTCHours() === 0 && d.getUTCMinutes() === 0) {
      return "{day|" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + "}";
    }
    return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  }

  function number(value) {
    if (value === null || value === undefined) return "—";
    return String(Number(value.toFixed(Math.abs(value) >= 100 ? 1 : 3)));
  }

  /* A round upper bound a little above ``top`` (1, 1.2, 1.5, 2, 2.5, ... x 10^n). */
  function niceCeil(top) {
    if (!(top > 0)) return 1;
    var power = Math.pow(10, Math.floor(Math.log10(top)));
    var steps = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];
    for (var i = 0; i < steps.length; i++) {
      if (steps[i] * power >= top) return steps[i] * power;
    }
    return 10 * power;
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  /* [x, y] pairs with a null after a missing hour, so the line breaks at gaps. */
  function points(values) {
    var out = [];
    var previous = null;
    values.forEach(function (pair) {
      var x = chinaMs(pair[0]);
      if (previous !== null && x - previous > 1.5 * HOUR) out.push([previous + HOUR, null]);
      out.push([x, pair[1]]);
      previous = x;
    });
    return out;
  }

  function evidenceOption(data, labels, narrow) {
    var values = data.values;
    var first = chinaMs(values[0][0]);
    var last = chinaMs(values[values.length - 1][0]) + HOUR;
    var start = data.window.start ? chinaMs(data.window.start) : first;
    var end = data.window.end ? chinaMs(data.window.end) : last;
    var unit = data.unit ? " " + data.unit : "";
    var series = {
      id: "values",
      name: labels.value,
      type: "line",
      data: points(values),
      showSymbol: values.length <= 48,
      symbolSize: 6,
      lineStyle: { width: 2, color: COLORS.main },
      itemStyle: { color: COLORS.main },
      emphasis: { disabled: true },
      markArea: {
        silent: true,
        itemStyle: { color: COLORS.window },
        label: { show: false },
        data: [[{ name: labels.window, xAxis: start }, { xAxis: end }]]
      }
    };
    if (data.limit !== null) {
      series.markLine = {
        silent: true,
        symbol: "none",
        lineStyle: { color: COLORS.limit, type: "dashed", width: 1.5 },
        label: {
          formatter: labels.limit + " " + number(data.limit) + unit,
          position: "insideEndTop",
          color: COLORS.limit,
          backgroundColor: "rgba(255, 255, 255, 0.85)",
          padding: [1, 4],
          borderRadius: 3
        },
        data: [{ yAxis: data.limit }]
      };
    }
    var option = {
      useUTC: true,
      animation: false,
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      grid: { left: 8, right: narrow ? 12 : 20, top: 30, bottom: 8, containLabel: true },
      tooltip: {
        trigger: "axis",
        confine: true,
        className: "series-tooltip",
        formatter: function (params) {
          var list = Array.isArray(params) ? params : [params];
          var item = list[0];
          if (!item || item.value[1] === null) return "";
          var over = data.limit !== null && item.value[1] > data.limit;
          return "<strong>" + escapeHtml(chinaText(item.value[0])) + "</strong><br>" +
            escapeHtml(labels.value) + ": <b" + (over ? " class=\"tip-over\"" : "") + ">" +
            number(item.value[1]) + "</b>" + escapeHtml(unit);
        }
      },
      xAxis: {
        type: "time",
        min: Math.min(first, start) - HOUR,
        max: Math.max(last, end) + HOUR,
        axisLabel: {
          formatter: axisTime,
          hideOverlap: true,
          alignMinLabel: "left",
          alignMaxLabel: "right",
          color: COLORS.text,
          rich: { day: { fontWeight: "bold", color: "#1c2b33" } }
        },
        axisLine: { lineStyle: { color: "#c5d1d4" } },
        splitLine: { show: false }
      },
      yAxis: {
        type: "value",
        name: data.unit || "",
        nameTextStyle: { color: COLORS.text, align: "left" },
        min: function (extent) { return extent.min < 0 ? extent.min : 0; },
        max: function (extent) {
          var top = Math.max(isFinite(extent.max) ? extent.max : 0, data.limit || 0);
          return niceCeil(top * 1.08);
        },
        axisLabel: { color: COLORS.text },
        splitLine: { lineStyle: { color: COLORS.grid } }
      },
      series: [series]
    };
    if (data.slope && data.slope.length) withSlope(option, data.slope, labels, last);
    return option;
  }

  /* parameter_tampering: the analyser's reported slope (i13008) as steps on a right axis. */
  function withSlope(option, slope, labels, last) {
    var steps = slope.map(function (pair) { return [chinaMs(pair[0]), pair[1]]; });
    steps.push([Math.max(last, steps[steps.length - 1][0]), slope[slope.length - 1][1]]);
    option.yAxis = [option.yAxis, {
      type: "value",
      name: labels.slope || "",
      nameTextStyle: { color: COLORS.limit, align: "right" },
      axisLabel: { color: COLORS.limit },
      splitLine: { show: false },
      scale: true
    }];
    option.series.push({
      id: "slope",
      name: labels.slope || "",
      type: "line",
      step: "end",
      yAxisIndex: 1,
      data: steps,
      showSymbol: false,
      lineStyle: { width: 2, color: COLORS.limit, type: "dashed" },
      itemStyle: { color: COLORS.limit },
      emphasis: { disabled: true }
    });
    option.xAxis.min = Math.min(option.xAxis.min, steps[0][0] - HOUR);
    option.grid.right = 48;
  }

  function evidenceChart() {
    var node = document.getElementById("evidence-chart");
    if (!node || typeof echarts === "undefined") return;
    var labels = JSON.parse(node.dataset.labels || "{}");
    try {
      var data = JSON.parse(node.dataset.chart);
      var chart = echarts.init(node, null, { renderer: "canvas" });
      var draw = function () {
        chart.setOption(evidenceOption(data, labels, node.clientWidth < 480), true);
      };
      draw();
      if (window.ResizeObserver) {
        new ResizeObserver(function () { chart.resize(); draw(); }).observe(node);
      }
      node.dataset.points = String(data.values.length);
      node.dataset.windows = "1";
      node.dataset.slope = String((data.slope || []).length);
      node.dataset.ready = "true";
    } catch (error) {
      var message = document.getElementById("evidence-message");
      if (message) {
        message.textContent = labels.failed || "";
        message.className = "chart-message error";
        message.hidden = false;
      }
      node.dataset.ready = "error";
      log(error);
    }
  }

  function start() {
    liveList();
    evidenceChart();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
