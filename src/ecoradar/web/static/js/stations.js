/* EcoRadar ambient stations map (/stations): every station as a marker (air and water in two
 * colours), over the city's and counties' outlines, with a popup that links to the station.
 *
 * #stations-map carries data-stations-url (GET: [{code, name, kind, longitude, latitude, ...}]),
 * data-regions-url (GeoJSON of the areas), the tile settings and the translated labels. Names
 * from the API are set as text, never as HTML. When done the node gets data-ready="true" and
 * data-shown (markers drawn); "error" when the data could not be loaded.
 */
(function () {
  "use strict";

  var COLOURS = { air: "#1f5fa8", water: "#1b7a6e" };
  var OUTLINE = { city: { color: "#12324a", weight: 2.6 }, county: { color: "#1f5f7a", weight: 1.6 } };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(url + ": " + response.status);
        return response.json();
      });
  }

  function message(node, text, className) {
    var box = node.querySelector(".map-message");
    if (!box) { box = el("div", "map-message"); node.appendChild(box); }
    box.className = "map-message" + (className ? " " + className : "");
    box.textContent = text;
    return box;
  }

  function popup(station, labels) {
    var box = el("div", "station-popup");
    box.appendChild(el("strong", null, station.name));
    box.appendChild(el("div", "mono", station.code + " · " + (labels[station.kind] || station.kind)));
    var link = el("a", "er-popup-link", labels.open + " →");
    link.href = "/stations/" + encodeURIComponent(station.code);
    box.appendChild(link);
    return box;
  }

  function start() {
    var node = document.getElementById("stations-map");
    if (!node || typeof L === "undefined") return;
    var d = node.dataset;
    var labels = { air: d.labelAir, water: d.labelWater, open: d.labelOpen };
    var tileUrl = d.tileUrl || "";
    var map = L.map(node, { attributionControl: !!tileUrl, maxZoom: 18, zoomSnap: 0.25 });
    if (tileUrl) {
      L.tileLayer(tileUrl, { attribution: d.tileAttribution || "", maxZoom: 18 }).addTo(map);
    } else {
      node.classList.add("no-tiles");
    }
    var loading = message(node, d.labelLoading);
    Promise.all([getJSON(d.stationsUrl), getJSON(d.regionsUrl).catch(function () { return { features: [] }; })])
      .then(function (data) {
        var stations = data[0] || [];
        var regions = (data[1].features || []).filter(function (f) {
          return f.properties && OUTLINE[f.properties.level];
        });
        var bounds = L.latLngBounds([]);
        stations.forEach(function (s) { bounds.extend([s.latitude, s.longitude]); });
        if (!stations.length) {
          regions.forEach(function (f) { bounds.extend(L.geoJSON(f).getBounds()); });
        }
        if (bounds.isValid()) {
          map.fitBounds(bounds.pad(0.15), { maxZoom: 13, animate: false });
        } else {
          map.setView([35, 105], 4, { animate: false });
        }
        regions.forEach(function (f) {
          var style = OUTLINE[f.properties.level];
          L.geoJSON(f, { style: { color: style.color, weight: style.weight, fill: false }, interactive: false })
            .addTo(map);
        });
        stations.forEach(function (s) {
          var marker = L.circleMarker([s.latitude, s.longitude], {
            radius: 8, color: "#ffffff", weight: 2, fillColor: COLOURS[s.kind] || "#c2452d",
            fillOpacity: 0.95, className: "station-marker station-marker-" + s.kind
          }).addTo(map);
          marker.bindTooltip(el("span", null, s.name), { direction: "top", offset: [0, -8] });
          marker.bindPopup(popup(s, labels));
        });
        L.control.scale({ imperial: false }).addTo(map);
        if (stations.length) {
          loading.remove();
        } else {
          message(node, d.labelEmpty);
        }
        node.dataset.shown = String(stations.length);
        node.dataset.ready = "true";
      })
      .catch(function (error) {
        message(node, d.labelFailed, "error");
        node.dataset.ready = "error";
        if (window.console) window.console.error(error);
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
