/* EcoRadar series chart: a monitoring point's values of one factor (/monitoring/{mn}).
 *
 * The chart node (#series-chart) carries what to load and every label, translated by the server:
 *   data-url      /api/monitoring/points/{mn}/series (asked with factor, kind, since, until)
 *   data-factor, data-kind, data-since, data-until (ISO 8601 with offset)
 *   data-labels   JSON {limit, value, converted, measured, flagged, min, max, flag, window, ...}
 *   data-flags    JSON {N: "Normal", C: "Calibration", ...}
 *   data-windows-url (optional) a JSON list [{start, end, label?}, ...] asked with the same
 *                 query; each window is drawn as a shaded band (markArea). Windows can also be
 *                 set from script: EcoRadarSeries.setWindows(node, [{start, end, label}]).
 *
 * Times are drawn in China Standard Time whatever the browser's zone: every timestamp is
 * shifted by +8 h and the chart runs in UTC (useUTC), so UTC formatting shows China wall time.
 * Values flagged other than N are hollow points; the limit is a dashed horizontal line.
 */
(function () {
  "use strict";

  var HOUR = 3600 * 1000;
  var CHINA_OFFSET = 8 * HOUR;
  var STEP = { rtd: 0, minute: 60 * 1000, hour: HOUR, day: 24 * HOUR };
  var COLORS = {
    main: "#17727a",
    measured: "#9bb0b4",
    limit: "#c2452d",
    flagged: "#c2452d",
    window: "rgba(194, 69, 45, 0.10)",
    grid: "#e6ecec",
    text: "#5c6d75"
  };

  function chinaMs(iso) {
    return Date.parse(iso) + CHINA_OFFSET;
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  /* A shifted timestamp as China wall time: "2026-11-01 08:00" (or "11-01 08:00"). */
  function chinaText(ms, short) {
    var d = new Date(ms);
    var day = pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate());
    var time = pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
    return (short ? "" : d.getUTCFullYear() + "-") + day + " " + time;
  }

  function axisTime(ms) {
    var d = new Date(ms);
    if (d.getUTCHours() === 0 && d.getUTCMinutes() === 0) {
      return "{day|" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + "}";
    }
    return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function number(value) {
    if (value === null || value === undefined) return "—";
    return String(Number(value.toFixed(Math.abs(value) >= 100 ? 1 : 3)));
  }

  /* A round upper bound a little above ``top`` (1, 2, 2.5, 5 x 10^n). */
  function niceCeil(top) {
    if (!(top > 0)) return 1;
    var power = Math.pow(10, Math.floor(Math.log10(top)));
    var steps = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];
    for (var i = 0; i < steps.length; i++) {
      if (steps[i] * power >= top) return steps[i] * power;
    }
    return 10 * power;
  }

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(url + ": HTTP " + response.status);
        return response.json();
      });
  }

  /* Which fields to draw: the converted concentration when the limit has a reference O2 and
   * converted values were sent (the limit applies to it), with the measured one beside it. */
  function fieldsOf(data) {
    var rtd = data.kind === "rtd";
    var zs = rtd ? "zs_rtd" : "zs_avg";
    var plain = rtd ? "rtd" : "avg";
    var converted = data.o2_reference !== null && data.values.some(function (v) {
      return v[zs] !== null;
    });
    if (converted) return { main: zs, min: "zs_min", max: "zs_max", measured: plain };
    return { main: plain, min: "min", max: "max", measured: null };
  }

  /* [x, y] pairs, with a null after a missing interval so the line breaks at gaps; without
   * values, nulls at both ends (so the limit is still drawn). */
  function linePoints(values, field, step, data) {
    if (!values.length) return [[chinaMs(data.since), null], [chinaMs(data.until), null]];
    var points = [];
    var previous = null;
    values.forEach(function (v) {
      var x = chinaMs(v.data_time);
      if (step && previous !== null && x - previous > 1.5 * step) points.push([previous + step, null]);
      points.push([x, v[field]]);
      previous = x;
    });
    return points;
  }

  function windowArea(windows, labels) {
    return {
      silent: true,
      itemStyle: { color: COLORS.window },
      label: { color: COLORS.limit, fontSize: 11, position: "insideTop" },
      data: (windows || []).map(function (w) {
        return [{ name: w.label || labels.window, xAxis: chinaMs(w.start) }, { xAxis: chinaMs(w.end) }];
      })
    };
  }

  function tooltipHtml(row, data, fields, labels, flags) {
    var unit = data.unit ? " " + escapeHtml(data.unit) : "";
    var lines = ["<strong>" + escapeHtml(chinaText(chinaMs(row.data_time))) + "</strong>"];
    var mainLabel = fields.measured ? labels.converted : labels.value;
    var value = row[fields.main];
    var over = data.limit !== null && value !== null && value > data.limit;
    lines.push(escapeHtml(mainLabel) + ": <b" + (over ? " class=\"tip-over\"" : "") + ">" +
      number(value) + "</b>" + unit);
    if (row[fields.min] !== null || row[fields.max] !== null) {
      lines.push(escapeHtml(labels.min) + " " + number(row[fields.min]) + " · " +
        escapeHtml(labels.max) + " " + number(row[fields.max]));
    }
    if (fields.measured) {
      lines.push(escapeHtml(labels.measured) + ": " + number(row[fields.measured]) + unit);
    }
    if (row.flag) {
      var meaning = flags[row.flag] || row.flag;
      var cls = row.flag === "N" ? "tip-flag" : "tip-flag tip-flag-bad";
      lines.push(escapeHtml(labels.flag) + ": <span class=\"" + cls + "\">" + escapeHtml(row.flag) +
        " " + escapeHtml(meaning) + "</span>");
    }
    if (data.limit !== null) {
      lines.push(escapeHtml(labels.limit) + ": " + number(data.limit) + unit);
    }
    return lines.join("<br>");
  }

  function buildOption(state) {
    var data = state.data;
    var labels = state.labels;
    var fields = fieldsOf(data);
    var step = STEP[data.kind] || 0;
    var byTime = {};
    data.values.forEach(function (v) { byTime[chinaMs(v.data_time)] = v; });
    var narrow = state.node.clientWidth < 560;
    var limit = data.limit;
    var unit = data.unit || "";

    var main = {
      id: "main",
      name: fields.measured ? labels.converted : labels.value,
      type: "line",
      data: linePoints(data.values, fields.main, step, data),
      showSymbol: data.values.length <= 72,
      symbolSize: 5,
      lineStyle: { width: 2, color: COLORS.main },
      itemStyle: { color: COLORS.main },
      emphasis: { disabled: true },
      z: 3,
      markArea: windowArea(state.windows, labels)
    };
    if (limit !== null) {
      main.markLine = {
        silent: true,
        symbol: "none",
        lineStyle: { color: COLORS.limit, type: "dashed", width: 1.5 },
        label: {
          formatter: labels.limit + " " + number(limit) + (unit ? " " + unit : ""),
          position: "insideEndTop",
          color: COLORS.limit,
          fontSize: 12,
          backgroundColor: "rgba(255, 255, 255, 0.85)",
          padding: [1, 4],
          borderRadius: 3
        },
        data: [{ name: "limit", yAxis: limit }]
      };
    }
    var series = [main];
    var selected = {};
    if (fields.measured) {
      selected[labels.measured] = false; // the limit applies to the converted value
      series.push({
        id: "measured",
        name: labels.measured,
        type: "line",
        data: linePoints(data.values, fields.measured, step, data),
        showSymbol: false,
        lineStyle: { width: 1.2, color: COLORS.measured },
        itemStyle: { color: COLORS.measured },
        emphasis: { disabled: true },
        z: 2
      });
    }
    var flagged = data.values.filter(function (v) { return v.flag && v.flag !== "N"; });
    series.push({
      id: "flagged",
      name: labels.flagged,
      type: "scatter",
      data: flagged.map(function (v) { return [chinaMs(v.data_time), v[fields.main], v.flag]; }),
      symbol: "emptyCircle",
      symbolSize: 9,
      itemStyle: { color: COLORS.flagged, borderWidth: 2 },
      z: 4
    });

    return {
      useUTC: true,
      animation: false,
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      legend: {
        top: 0,
        left: 0,
        itemWidth: 18,
        itemHeight: 10,
        textStyle: { color: COLORS.text, fontSize: narrow ? 11 : 12 },
        data: series.map(function (s) { return s.name; }),
        selected: selected
      },
      grid: { left: 8, right: narrow ? 12 : 24, top: narrow ? 64 : 60, bottom: 64 },
      tooltip: {
        trigger: "axis",
        confine: true,
        className: "series-tooltip",
        axisPointer: { type: "line", lineStyle: { color: "#8a999f" } },
        formatter: function (params) {
          var list = Array.isArray(params) ? params : [params];
          if (!list.length) return "";
          var row = byTime[list[0].value[0]];
          return row ? tooltipHtml(row, data, fields, labels, state.flags) : "";
        }
      },
      xAxis: {
        type: "time",
        min: chinaMs(data.since),
        max: chinaMs(data.until),
        axisLabel: {
          formatter: axisTime,
          hideOverlap: true,
          color: COLORS.text,
          rich: { day: { fontWeight: "bold", color: "#1c2b33" } }
        },
        axisLine: { lineStyle: { color: "#c5d1d4" } },
        splitLine: { show: false }
      },
      yAxis: {
        type: "value",
        name: unit,
        nameTextStyle: { color: COLORS.text, align: "left" },
        min: function (extent) { return extent.min < 0 ? extent.min : 0; },
        max: function (extent) {
          var top = isFinite(extent.max) ? extent.max : 0;
          return niceCeil(Math.max(top, limit || 0) * 1.08);
        },
        axisLabel: { color: COLORS.text },
        splitLine: { lineStyle: { color: COLORS.grid } }
      },
      dataZoom: [
        { type: "inside", filterMode: "none" },
        {
          type: "slider",
          filterMode: "none",
          height: 18,
          bottom: 8,
          showDetail: !narrow,
          labelFormatter: function (value) { return chinaText(value, true); },
          borderColor: "#dbe3e5",
          fillerColor: "rgba(23, 114, 122, 0.10)",
          handleStyle: { color: "#ffffff", borderColor: COLORS.main },
          moveHandleStyle: { color: "#c5d1d4" },
          dataBackground: {
            lineStyle: { color: "#9bb0b4", width: 1 },
            areaStyle: { color: "#e3f0ee" }
          },
          selectedDataBackground: {
            lineStyle: { color: COLORS.main, width: 1 },
            areaStyle: { color: "#cfe5e2" }
          },
          textStyle: { color: COLORS.text }
        }
      ],
      series: series
    };
  }

  function message(state, text, className) {
    var box = state.message;
    if (!box) return;
    box.textContent = text || "";
    box.className = "chart-message " + (className || "");
    box.hidden = !text;
  }

  function query(state) {
    var node = state.node;
    return "?" + new URLSearchParams({
      factor: state.factor,
      kind: node.dataset.kind || "hour",
      since: node.dataset.since,
      until: node.dataset.until
    }).toString();
  }

  function draw(state) {
    if (!state.data) return;
    state.chart.setOption(buildOption(state), true);
    var node = state.node;
    var n = state.data.values.length;
    if (!n) message(state, state.labels.empty, "empty");
    else if (state.data.truncated) message(state, state.labels.truncated.replace("{n}", n), "note");
    else message(state, "");
    node.dataset.factor = state.data.factor;
    node.dataset.points = String(n);
    node.dataset.flagged = String(state.data.values.filter(function (v) {
      return v.flag && v.flag !== "N";
    }).length);
    node.dataset.limit = state.data.limit === null ? "" : String(state.data.limit);
    node.dataset.windows = String((state.windows || []).length);
    node.dataset.ready = "true";
  }

  function load(state) {
    var node = state.node;
    var ticket = ++state.ticket;
    node.dataset.ready = "loading";
    message(state, state.labels.loading, "loading");
    var q = query(state);
    var windowsUrl = node.dataset.windowsUrl;
    Promise.all([
      getJSON(node.dataset.url + q),
      windowsUrl ? getJSON(windowsUrl + q) : Promise.resolve(state.windows || [])
    ]).then(function (answers) {
      if (ticket !== state.ticket) return; // a newer request is under way
      state.data = answers[0];
      state.windows = answers[1];
      draw(state);
    }).catch(function (error) {
      if (ticket !== state.ticket) return;
      message(state, state.labels.failed, "error");
      node.dataset.ready = "error";
      if (window.console) window.console.error(error);
    });
  }

  function selectFactor(state, link) {
    var tabs = document.querySelectorAll("#factor-tabs a[data-factor]");
    Array.prototype.forEach.call(tabs, function (tab) {
      var on = tab === link;
      tab.classList.toggle("active", on);
      if (on) tab.setAttribute("aria-current", "true");
      else tab.removeAttribute("aria-current");
    });
    var hidden = document.querySelector("#range-form input[name=factor]");
    if (hidden) hidden.value = link.dataset.factor;
    var title = document.getElementById("chart-factor");
    if (title) title.textContent = link.dataset.name;
    if (window.history && window.history.replaceState) window.history.replaceState(null, "", link.href);
    state.factor = link.dataset.factor;
    load(state);
  }

  var states = [];

  function start() {
    if (typeof echarts === "undefined") return;
    var node = document.getElementById("series-chart");
    if (!node) return;
    var state = {
      node: node,
      chart: echarts.init(node, null, { renderer: "canvas" }),
      labels: JSON.parse(node.dataset.labels || "{}"),
      flags: JSON.parse(node.dataset.flags || "{}"),
      message: document.getElementById("chart-message"),
      factor: node.dataset.factor,
      windows: [],
      data: null,
      ticket: 0
    };
    states.push(state);
    var tabs = document.getElementById("factor-tabs");
    if (tabs) {
      tabs.addEventListener("click", function (event) {
        var link = event.target.closest("a[data-factor]");
        if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        selectFactor(state, link);
      });
    }
    var resize = function () { state.chart.resize(); };
    if (window.ResizeObserver) new ResizeObserver(resize).observe(node);
    else window.addEventListener("resize", resize);
    load(state);
  }

  window.EcoRadarSeries = {
    /* Draw alert windows [{start, end, label?}] (ISO 8601) on the chart in ``node``. */
    setWindows: function (node, windows) {
      states.forEach(function (state) {
        if (state.node === node) {
          state.windows = windows || [];
          draw(state);
        }
      });
    }
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
