/* EcoRadar — the suspects on a problem's page: a map of the problem's place, the wind at its
 * first report (an arrow blowing towards the place) and the ranked enterprises.
 *
 * The panel is loaded into the page after it (htmx); this script runs with it and draws every
 * map not drawn yet. Labels come from data-* attributes the server has translated; names are set
 * as text, never as HTML. Base-map tiles are optional, as on the other maps.
 */
(function () {
  "use strict";

  function el(tag, text) {
    var node = document.createElement(tag);
    node.textContent = String(text);
    return node;
  }

  /* The place ``metres`` from (lat, lon) towards ``bearing`` degrees (flat, for short distances). */
  function offset(lat, lon, bearing, metres) {
    var rad = bearing * Math.PI / 180;
    var dLat = metres * Math.cos(rad) / 111195;
    var dLon = metres * Math.sin(rad) / (111195 * Math.cos(lat * Math.PI / 180));
    return [lat + dLat, lon + dLon];
  }

  function draw(node) {
    if (typeof L === "undefined" || node.dataset.ready) return;
    var clue = JSON.parse(node.dataset.clue);
    var wind = JSON.parse(node.dataset.wind || "null");
    var suspects = JSON.parse(node.dataset.suspects || "[]");
    var tileUrl = node.dataset.tileUrl || "";
    var map = L.map(node, {
      attributionControl: !!tileUrl, maxZoom: 18, scrollWheelZoom: false, zoomSnap: 0.25
    });
    if (tileUrl) {
      L.tileLayer(tileUrl, { attribution: node.dataset.tileAttribution || "", maxZoom: 18 }).addTo(map);
    } else {
      node.classList.add("no-tiles");
    }
    var bounds = L.latLngBounds([clue, clue]);
    suspects.forEach(function (s) { bounds.extend([s[0], s[1]]); });
    var view = bounds.pad(0.08);
    map.fitBounds(view, { maxZoom: 16, animate: false });
    if (window.ResizeObserver) {  // laid out after the panel's styles: fit again to the real size
      new ResizeObserver(function () {
        map.invalidateSize();
        map.fitBounds(view, { maxZoom: 16, animate: false });
      }).observe(node);
    }
    if (wind) {
      // from where the wind comes (its direction), a line to the place and a head at the place
      var span = Math.max(300, map.distance(bounds.getSouthWest(), bounds.getNorthEast()) / 3);
      var start = offset(clue[0], clue[1], wind[1], span);
      var left = offset(clue[0], clue[1], wind[1] - 25, span / 6);
      var right = offset(clue[0], clue[1], wind[1] + 25, span / 6);
      var arrow = L.layerGroup([
        L.polyline([start, clue], { color: "#1f5f7a", weight: 3, dashArray: "6 4" }),
        L.polygon([clue, left, right], { color: "#1f5f7a", weight: 1, fillOpacity: 0.9 })
      ]).addTo(map);
      arrow.eachLayer(function (layer) {
        layer.bindTooltip(el("span", node.dataset.windLabel + " " + wind[0].toFixed(1) + " m/s"));
      });
    }
    suspects.forEach(function (s, i) {
      var strength = Math.max(0.25, Math.min(1, s[3]));
      L.circleMarker([s[0], s[1]], {
        radius: 6 + 6 * strength, color: "#ffffff", weight: 1.5,
        fillColor: i === 0 ? "#c2452d" : "#d98c3a", fillOpacity: 0.85
      }).bindTooltip(el("span", (i + 1) + ". " + s[2] + " (" + s[3].toFixed(2) + ")")).addTo(map);
    });
    L.circleMarker(clue, {
      radius: 8, color: "#ffffff", weight: 2, fillColor: "#17727a", fillOpacity: 0.95
    }).bindTooltip(el("span", node.dataset.clueLabel)).addTo(map);
    L.control.scale({ imperial: false }).addTo(map);
    node.dataset.ready = "true";
  }

  /* The panel's stylesheet may still be loading: draw once the map has its height. */
  function whenSized(node, tries) {
    if (node.clientHeight > 0 || tries <= 0) { draw(node); return; }
    window.requestAnimationFrame(function () { whenSized(node, tries - 1); });
  }

  document.querySelectorAll(".suspects-map").forEach(function (node) { whenSized(node, 120); });
})();
