/* EcoRadar big screens (/screens/{screen}): fetch the screen's figures (body data-url) every
 * data-refresh seconds (?refresh=N in the address overrides it, 2..300) and update the ECharts
 * charts and the Leaflet map in place; the page itself is never reloaded.
 *
 * Every label comes from data-labels (codes -> names) and data-ui (words) that the server has
 * translated; names from the data are set as text, never as HTML. When a refresh fails the
 * figures stay and the status line says since when; when it is refused (403: the display token
 * was revoked) the page is loaded again and shows the refusal. After each refresh body gets
 * data-refreshes (a count) and data-as-of; window.erScreen.loadedAt is set once, at load.
 */
(function () {
  "use strict";

  var body = document.body;
  var labels = JSON.parse(body.dataset.labels || "{}");
  var ui = JSON.parse(body.dataset.ui || "{}");
  var screen = body.dataset.screen;
  var locale = body.dataset.locale || "zh-CN";
  var charts = {};
  var mapState = null;
  var refreshes = 0;
  var lastGood = null;
  var shown = null;
  var COLOURS = { green: "#3cb371", blue: "#3b82f6", yellow: "#f5c542", red: "#e5484d", black: "#8a8f98" };
  var PALETTE = ["#38c7b0", "#ffc145", "#ff6b57", "#5aa9ff", "#b48cff", "#7bd389", "#ff9f43", "#f368e0", "#48dbfb", "#c8d6e5"];
  window.erScreen = { loadedAt: Date.now() };

  function refreshSeconds() {
    var asked = Number(new URLSearchParams(window.location.search).get("refresh"));
    var seconds = asked >= 2 && asked <= 300 ? asked : Number(body.dataset.refresh) || 15;
    return seconds;
  }

  function fill(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  function name(group, code) {
    return (labels[group] || {})[code] || code;
  }

  function timeText(iso) {
    var when = iso ? new Date(iso) : new Date();
    return when.toLocaleTimeString(locale, { timeZone: "Asia/Shanghai", hour12: false });
  }

  function fontSize() {
    return parseFloat(window.getComputedStyle(body).fontSize) || 16;
  }

  function chart(id) {
    if (!charts[id]) {
      charts[id] = echarts.init(document.getElementById(id), null, { renderer: "canvas" });
    }
    return charts[id];
  }

  function base() {
    var size = fontSize();
    return {
      backgroundColor: "transparent",
      color: PALETTE,
      textStyle: { color: "#e8f1f8", fontSize: size * 0.85 },
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      animationDuration: 300
    };
  }

  function axis(extra) {
    return Object.assign({
      axisLabel: { color: "#c8d8e6", fontSize: fontSize() * 0.8 },
      axisLine: { lineStyle: { color: "#3a5a74" } },
      splitLine: { lineStyle: { color: "#1f3b52" } }
    }, extra || {});
  }

  function setText(id, text) {
    var node = document.getElementById(id);
    if (node) node.textContent = String(text);
  }

  function percent(value) {
    return value === null || value === undefined ? "–" : (value * 100).toFixed(1) + "%";
  }

  function bars(id, entries, horizontal, colourOf) {
    var cats = entries.map(function (e) { return e[0]; });
    var values = entries.map(function (e, i) {
      return colourOf ? { value: e[1], itemStyle: { color: colourOf(e, i) } } : e[1];
    });
    var option = base();
    var category = axis({ type: "category", data: horizontal ? cats.slice().reverse() : cats });
    var value = axis({ type: "value", minInterval: 1, splitNumber: 3 });
    option.xAxis = horizontal ? value : category;
    option.yAxis = horizontal ? category : value;
    option.series = [{
      type: "bar",
      data: horizontal ? values.slice().reverse() : values,
      label: { show: true, position: horizontal ? "right" : "top", color: "#e8f1f8", fontSize: fontSize() * 0.8 },
      barMaxWidth: 48
    }];
    chart(id).setOption(option, true);
  }

  function pie(id, entries, colourOf) {
    var option = base();
    option.legend = { bottom: 0, textStyle: { color: "#c8d8e6", fontSize: fontSize() * 0.75 } };
    option.series = [{
      type: "pie",
      radius: ["35%", "68%"],
      center: ["50%", "45%"],
      stillShowZeroSum: false,
      label: { color: "#e8f1f8", fontSize: fontSize() * 0.8, formatter: "{b}: {c}" },
      data: entries.map(function (e, i) {
        var item = { name: e[0], value: e[1] };
        if (colourOf) item.itemStyle = { color: colourOf(e, i) };
        return item;
      }).filter(function (item) { return item.value > 0; })
    }];
    if (!option.series[0].data.length) {
      option.series = [];
      option.title = { text: ui.none, left: "center", top: "middle", textStyle: { color: "#9fb6c8", fontSize: fontSize() * 1.2 } };
    }
    chart(id).setOption(option, true);
  }

  function sorted(counts, group) {
    return Object.keys(counts || {}).map(function (code) { return [name(group, code), counts[code], code]; })
      .sort(function (a, b) { return b[1] - a[1] || String(a[0]).localeCompare(String(b[0])); });
  }

  function list(id, items, render) {
    var node = document.getElementById(id);
    if (!node) return;
    node.textContent = "";
    if (!items.length) {
      var empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = ui.none;
      node.appendChild(empty);
      return;
    }
    items.forEach(function (item) {
      var li = document.createElement("li");
      render(item).forEach(function (part, i) {
        var span = document.createElement("span");
        if (i > 0) span.className = "figure";
        span.textContent = part;
        li.appendChild(span);
      });
      node.appendChild(li);
    });
  }

  /* --- the map -------------------------------------------------------------------------- */

  function map() {
    if (mapState || typeof L === "undefined") return mapState;
    var node = document.getElementById("screen-map");
    if (!node) return null;
    var m = L.map(node, { zoomControl: false, attributionControl: !!body.dataset.tileUrl });
    if (body.dataset.tileUrl) {
      L.tileLayer(body.dataset.tileUrl, { attribution: body.dataset.tileAttribution || "", maxZoom: 18 }).addTo(m);
    }
    m.setView([30.25, 120.2], 9);
    mapState = { map: m, layer: L.layerGroup().addTo(m), fitted: false };
    return mapState;
  }

  function drawPoints(points) {
    var state = map();
    if (!state) return;
    state.layer.clearLayers();
    var bounds = [];
    points.forEach(function (p) {
      if (p.lat === null || p.lon === null) return;
      bounds.push([p.lat, p.lon]);
      state.layer.addLayer(p.draw());
    });
    state.map.invalidateSize();
    if (bounds.length && !state.fitted) {
      state.map.fitBounds(bounds, { padding: [48, 48], maxZoom: 13, animate: false });
      state.fitted = true;
    }
    document.getElementById("screen-map").dataset.points = String(bounds.length);
  }

  function circle(p, colour, radius, tip) {
    return {
      lat: p.lat, lon: p.lon,
      draw: function () {
        return L.circleMarker([p.lat, p.lon], {
          radius: radius, color: "#ffffff", weight: 1, fillColor: colour, fillOpacity: 0.85
        }).bindTooltip(tip, { className: "screen-tip" });
      }
    };
  }

  function windArrow(s) {
    return {
      lat: s.lat, lon: s.lon,
      draw: function () {
        var icon = L.divIcon({ className: s.wind ? "wind-arrow" : "station-dot", html: "<span></span>", iconSize: s.wind ? [28, 28] : [16, 16] });
        var marker = L.marker([s.lat, s.lon], { icon: icon, keyboard: false });
        marker.bindTooltip(s.name, { className: "screen-tip", permanent: true, direction: "right", offset: [14, 0] });
        marker.on("add", function () {
          var span = marker.getElement() && marker.getElement().firstChild;
          if (!span) return;
          if (s.wind) {
            span.textContent = "↑";
            span.style.transform = "rotate(" + ((s.wind.direction + 180) % 360) + "deg)";
          }
        });
        return marker;
      }
    };
  }

  /* --- the screens ---------------------------------------------------------------------- */

  var SEVERITY_COLOUR = { low: "#5aa9ff", medium: "#ffc145", high: "#ff6b57", critical: "#ff2e63" };

  function discovery(data) {
    setText("kpi-today", data.today.total);
    setText("kpi-month", data.month.total);
    setText("kpi-open", data.open_problems.total);
    var technical = {};
    data.technical_channels.forEach(function (c) { technical[c] = true; });
    var tint = function (e) { return technical[e[2]] ? "#5aa9ff" : "#38c7b0"; };
    bars("chart-today", sorted(data.today.by_channel, "channels"), true, tint);
    pie("chart-month", sorted(data.month.by_channel, "channels"));
    var option = base();
    option.legend = { top: 0, textStyle: { color: "#c8d8e6", fontSize: fontSize() * 0.8 } };
    option.grid.top = fontSize() * 2;
    option.xAxis = axis({ type: "category", data: data.trend.days.map(function (d) { return d.slice(5); }) });
    option.yAxis = axis({ type: "value", minInterval: 1 });
    option.series = [
      { name: ui.human, type: "line", smooth: true, data: data.trend.human, color: "#38c7b0", areaStyle: { opacity: 0.15 } },
      { name: ui.technical, type: "line", smooth: true, data: data.trend.technical, color: "#5aa9ff", areaStyle: { opacity: 0.15 } }
    ];
    chart("chart-trend").setOption(option, true);
    var points = data.open_problems.places.map(function (p) {
      return circle(p, SEVERITY_COLOUR[p.severity] || "#ff6b57", 6,
        ui.open + " · " + name("categories", p.category) + " · " + name("channels", p.channel));
    });
    data.today_findings.forEach(function (p) {
      points.push(circle(p, "#ffe66d", 9, ui.new_today + " · " + name("categories", p.category) + " · " + name("channels", p.channel)));
    });
    drawPoints(points);
  }

  function monitoring(data) {
    var d = data.devices;
    setText("kpi-online", percent(d.online_rate));
    setText("kpi-alerts", data.alerts.open);
    setText("kpi-exceedances", data.exceedances.total);
    pie("chart-devices", [[ui.online, d.online], [ui.silent, d.silent], [ui.never, d.never]], function (e, i) {
      return ["#38c7b0", "#ffc145", "#ff6b57"][i];
    });
    bars("chart-kinds", sorted(data.alerts.by_kind, "kinds"), true);
    bars("chart-quality", data.data_quality.map(function (r) { return [r.enterprise_name, r.score]; }), true, function (e) {
      return e[1] < 60 ? "#ff6b57" : e[1] < 80 ? "#ffc145" : "#38c7b0";
    });
    list("list-exceedances", data.exceedances.items, function (r) {
      return [r.enterprise_name + " · " + name("factors", r.factor), timeText(r.since)];
    });
    list("list-stations", data.stations, function (s) {
      var parts = s.readings.slice(0, 3).map(function (r) { return name("factors", r.factor) + " " + r.value; });
      if (s.wind) parts.push(fill(ui.wind, { speed: s.wind.speed.toFixed(1), direction: Math.round(s.wind.direction) }));
      return [s.name, parts.join(" · ") || ui.none];
    });
    drawPoints(data.stations.map(windArrow));
  }

  function closure(data) {
    var s = data.selfcheck;
    setText("kpi-selfcheck", percent(s.completion_rate));
    var latest = data.handling[data.handling.length - 1];
    setText("kpi-handling", latest && latest.median_days !== null ? fill(ui.days, { n: latest.median_days }) : "–");
    setText("kpi-overdue", data.overdue.total);
    var order = ["green", "blue", "yellow", "red", "black"];
    pie("chart-colours", order.filter(function (c) { return data.colours[c]; }).map(function (c) {
      return [name("colours", c), data.colours[c], c];
    }), function (e) { return COLOURS[e[2]]; });
    list("list-risk", data.top_risk, function (r) {
      return [r.enterprise_name, name("colours", r.colour) + " · " + r.score];
    });
    pie("chart-selfcheck", [[ui.completed, s.tasks_completed], [ui.overdue, s.tasks_overdue], [ui.pending, s.tasks_open]], function (e, i) {
      return ["#38c7b0", "#ff6b57", "#5aa9ff"][i];
    });
    var r = data.reminders;
    bars("chart-reminders", [[ui.issued, r.reminders_issued], [ui.issues, r.issues], [ui.solved, r.issues_solved], [ui.violations, r.became_violations]], false, function (e, i) {
      return PALETTE[i];
    });
    var option = base();
    option.legend = { top: 0, textStyle: { color: "#c8d8e6", fontSize: fontSize() * 0.8 } };
    option.grid.top = fontSize() * 2;
    option.xAxis = axis({ type: "category", data: data.handling.map(function (h) { return h.month; }) });
    option.yAxis = [axis({ type: "value" }), axis({ type: "value", minInterval: 1, splitLine: { show: false } })];
    option.series = [
      { name: ui.median_days, type: "line", data: data.handling.map(function (h) { return h.median_days; }), color: "#ffc145", connectNulls: true },
      { name: ui.closed, type: "bar", yAxisIndex: 1, data: data.handling.map(function (h) { return h.closed; }), color: "#38c7b0", barMaxWidth: 36 }
    ];
    chart("chart-handling").setOption(option, true);
    list("list-overdue", data.overdue.items, function (o) {
      return [o.title + " · " + name("states", o.state), fill(ui.days, { n: o.days })];
    });
  }

  var RENDER = { discovery: discovery, monitoring: monitoring, closure: closure };

  function status(text, stale) {
    var node = document.getElementById("screen-status");
    node.textContent = text;
    node.classList.toggle("stale", !!stale);
  }

  function load() {
    fetch(body.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        // a revoked display token: load the page again, which shows the refusal
        if (response.status === 403) window.location.reload();
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        RENDER[screen](data);
        shown = data;
        refreshes += 1;
        lastGood = data.as_of;
        body.dataset.refreshes = String(refreshes);
        body.dataset.asOf = data.as_of;
        status(fill(ui.updated, { time: timeText(data.as_of) }), false);
      })
      .catch(function () {
        status(fill(ui.stale, { time: lastGood ? timeText(lastGood) : "–" }), true);
      })
      .then(function () { window.setTimeout(load, refreshSeconds() * 1000); });
  }

  function tick() {
    setText("screen-clock", timeText());
  }

  function start() {
    tick();
    window.setInterval(tick, 1000);
    window.addEventListener("resize", function () {
      Object.keys(charts).forEach(function (id) { charts[id].resize(); });
      if (mapState) {
        mapState.map.invalidateSize();
        mapState.fitted = false;  // fit the points to the new size
      }
      if (shown) RENDER[screen](shown);  // type sized to the new width
    });
    load();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
