/* My grid: the grid's outline and the problems routed to me on a Leaflet map, and the patrol:
   start, the browser's positions sampled while it runs (thinned, sent in batches, kept in
   localStorage while offline) and end. */
(function () {
  "use strict";
  var BATCH = 20, EVERY_MS = 30000, MIN_METRES = 5, KEEP = 4000;

  function fill(t, v) { return String(t || "").replace(/\{(\w+)\}/g, function (m, k) { return v[k] !== undefined ? v[k] : m; }); }
  function csrf() { var m = document.querySelector('meta[name="csrf-token"]'); return m ? m.content : ""; }

  function post(url, payload) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(payload || {})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) { var e = new Error(data.detail || String(r.status)); e.status = r.status; throw e; }
        return data;
      });
    });
  }

  function drawMap(node) {
    if (typeof L === "undefined") return null;
    var map = L.map(node, { attributionControl: !!node.dataset.tileUrl, maxZoom: 18 });
    if (node.dataset.tileUrl) {
      L.tileLayer(node.dataset.tileUrl, { attribution: node.dataset.tileAttribution || "", maxZoom: 18 }).addTo(map);
    } else {
      node.classList.add("no-tiles");
    }
    var area = L.geoJSON(JSON.parse(node.dataset.region), {
      style: { color: "#3f8a8c", weight: 2, fillColor: "#d3e6dd", fillOpacity: 0.4 }
    });
    map.fitBounds(area.getBounds(), { padding: [12, 12], animate: false });
    area.addTo(map);
    JSON.parse(node.dataset.problems || "[]").forEach(function (p) {
      L.circleMarker([p.lat, p.lon], { radius: 7, color: "#fff", weight: 1.5, fillColor: "#c2452d", fillOpacity: 0.9 })
        .bindTooltip(fill(node.dataset.labelProblem, { id: p.id }) + " " + p.title)
        .on("click", function () { window.location.href = "/problems/" + p.id; })
        .addTo(map);
    });
    node.dataset.ready = "true";
    return map;
  }

  function distance(a, b) {
    var r = 6371000, p1 = a[0] * Math.PI / 180, p2 = b[0] * Math.PI / 180;
    var dp = p2 - p1, dl = (b[1] - a[1]) * Math.PI / 180;
    var h = Math.sin(dp / 2) * Math.sin(dp / 2) + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) * Math.sin(dl / 2);
    return 2 * r * Math.asin(Math.sqrt(Math.min(1, h)));
  }

  function start() {
    var mapNode = document.getElementById("grid-map");
    var map = mapNode ? drawMap(mapNode) : null;
    var card = document.getElementById("patrol");
    if (!card) return;
    var d = card.dataset;
    var status = document.getElementById("patrol-status");
    var startButton = document.getElementById("patrol-start");
    var endBox = document.getElementById("patrol-end-box");
    var running = d.running ? JSON.parse(d.running) : null;
    var watch = null, timer = null, line = null, count = 0, last = null;
    var pending = [];

    function storeKey() { return running ? "ecoradar-grid-track-" + running.id : ""; }
    function save() { if (running) localStorage.setItem(storeKey(), JSON.stringify(pending.slice(-KEEP))); }
    function load() {
      try { pending = JSON.parse(localStorage.getItem(storeKey()) || "[]"); } catch (e) { pending = []; }
    }
    function say() {
      status.textContent = fill(d.labelStarted, {
        time: new Date(running.started_at).toLocaleTimeString(document.documentElement.lang || undefined, { timeZone: "Asia/Shanghai" }), count: count + pending.length
      }) + (navigator.onLine ? "" : " " + d.labelOffline);
    }

    function send() {
      if (!running || !pending.length || !navigator.onLine) return Promise.resolve();
      var batch = pending.slice(0, 200);
      return post("/api/patrols/" + running.id + "/track", { points: batch }).then(function (p) {
        pending = pending.slice(batch.length);
        count = p.points;
        save();
        say();
      }, function (e) {
        if (e.status === 422) { pending = pending.slice(batch.length); save(); }
        if (e.status) status.textContent = fill(d.labelFailed, { reason: e.message });
      });
    }

    function sample(pos) {
      var point = [pos.coords.latitude, pos.coords.longitude];
      if (last && distance(last, point) < MIN_METRES) return;
      last = point;
      pending.push({ lat: +point[0].toFixed(6), lon: +point[1].toFixed(6), at: new Date(pos.timestamp || Date.now()).toISOString(),
                     accuracy: pos.coords.accuracy ? Math.min(10000, Math.round(pos.coords.accuracy)) : null });
      if (line) line.addLatLng(point);
      save();
      say();
      if (pending.length >= BATCH) send();
    }

    function follow() {
      load();
      if (map) line = L.polyline(running.track || [], { color: "#1f5f8b", weight: 3 }).addTo(map);
      count = (running.track || []).length;
      say();
      startButton.hidden = true;
      endBox.hidden = false;
      if (navigator.geolocation) {
        watch = navigator.geolocation.watchPosition(sample, function () { status.textContent = d.labelNoGps; },
          { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
      } else {
        status.textContent = d.labelNoGps;
      }
      timer = window.setInterval(send, EVERY_MS);
    }

    startButton.addEventListener("click", function () {
      startButton.disabled = true;
      post("/api/patrols").then(function (p) {
        running = { id: p.id, started_at: p.started_at, track: [] };
        follow();
      }, function (e) {
        status.textContent = fill(d.labelFailed, { reason: e.message });
      }).then(function () { startButton.disabled = false; });
    });

    document.getElementById("patrol-end").addEventListener("click", function () {
      if (!running) return;
      var button = this;
      button.disabled = true;
      post("/api/patrols/" + running.id + "/end", {
        points: pending.slice(0, 500), note: document.getElementById("patrol-note").value
      }).then(function (p) {
        if (watch !== null) navigator.geolocation.clearWatch(watch);
        window.clearInterval(timer);
        localStorage.removeItem(storeKey());
        running = null;
        pending = [];
        status.textContent = fill(d.labelEnded, { count: p.points, km: (p.length_m / 1000).toFixed(2) });
        endBox.hidden = true;
        startButton.hidden = false;
      }, function (e) {
        status.textContent = fill(d.labelFailed, { reason: e.message });
      }).then(function () { button.disabled = false; });
    });

    window.addEventListener("online", send);
    if (running) follow();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
