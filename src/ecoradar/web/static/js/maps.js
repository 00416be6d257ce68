/* EcoRadar maps: the area map (/map) and an enterprise's position (/registry/{code}).
 *
 * Every label comes from data-* attributes the server has translated. Names that come from the
 * API are set as text (textContent), never as HTML. Base-map tiles are optional: without
 * data-tile-url the map shows the areas on a plain background, as on a closed network.
 */
(function () {
  "use strict";

  var LEVELS = ["city", "county", "township", "grid"];

  /* Lines, drawn above the fills: districts bold, grids thin. */
  var LINE_STYLE = {
    city: { color: "#12324a", weight: 3.2, opacity: 0.95 },
    county: { color: "#1f5f7a", weight: 2.6, opacity: 0.95 },
    township: { color: "#3f8a8c", weight: 1.3, opacity: 0.9 },
    grid: { color: "#8aa5a6", weight: 0.6, opacity: 0.9 }
  };

  /* Fills, below the lines: they carry the hover and the tooltip. Only grids are tinted. */
  var FILL_STYLE = {
    city: { fillColor: "#dfe9e6", fillOpacity: 0 },
    county: { fillColor: "#dfe9e6", fillOpacity: 0 },
    township: { fillColor: "#dfe9e6", fillOpacity: 0 },
    grid: { fillColor: "#d3e6dd", fillOpacity: 0.55 }
  };

  var MARKER_STYLE = {
    radius: 5,
    color: "#ffffff",
    weight: 1.2,
    fillColor: "#c2452d",
    fillOpacity: 0.9,
    className: "er-marker"
  };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function baseMap(node, options) {
    var tileUrl = node.dataset.tileUrl || "";
    var map = L.map(node, Object.assign({ attributionControl: !!tileUrl, maxZoom: 18 }, options));
    if (tileUrl) {
      L.tileLayer(tileUrl, { attribution: node.dataset.tileAttribution || "", maxZoom: 18 })
        .addTo(map);
    } else {
      node.classList.add("no-tiles");
    }
    return map;
  }

  function showMessage(node, text, className) {
    var box = node.querySelector(".map-message");
    if (!box) {
      box = el("div", "map-message");
      node.appendChild(box);
    }
    box.className = "map-message " + (className || "");
    box.textContent = text;
    box.hidden = !text;
  }

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(url + ": HTTP " + response.status);
        return response.json();
      });
  }

  function regionTooltip(props, byCode, labels) {
    var box = el("div", "area-tip");
    box.appendChild(el("span", "area-tip-level", labels[props.level] || props.level));
    box.appendChild(el("strong", "area-tip-name", props.name));
    box.appendChild(el("span", "area-tip-code", props.code));
    var chain = [];
    var parent = byCode[props.parent];
    while (parent && chain.length < LEVELS.length) {
      if (parent.level !== "city") chain.push(parent.name);
      parent = byCode[parent.parent];
    }
    if (chain.length) box.appendChild(el("span", "area-tip-chain", chain.join(" · ")));
    return box;
  }

  function enterprisePopup(props, labels) {
    var box = el("div", "er-popup");
    box.appendChild(el("strong", "er-popup-name", props.name));
    box.appendChild(el("span", "er-popup-code", props.code));
    if (props.industry) {
      box.appendChild(el("span", "er-popup-industry", labels.industry + " " + props.industry));
    }
    var link = el("a", "er-popup-link", labels.details + " →");
    link.href = "/registry/" + encodeURIComponent(props.code);
    box.appendChild(link);
    return box;
  }

  function legend(labels) {
    var control = L.control({ position: "bottomleft" });
    control.onAdd = function () {
      var box = el("div", "map-legend");
      [
        ["county", "legend-line legend-county"],
        ["township", "legend-line legend-township"],
        ["grid", "legend-area legend-grid"],
        ["enterprises", "legend-dot"]
      ].forEach(function (row) {
        var item = el("div", "legend-item");
        item.appendChild(el("span", row[1]));
        item.appendChild(el("span", null, labels[row[0]]));
        box.appendChild(item);
      });
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    return control;
  }

  function labelsOf(node) {
    var d = node.dataset;
    return {
      city: d.labelCity,
      county: d.labelCounty,
      township: d.labelTownship,
      grid: d.labelGrid,
      enterprises: d.labelEnterprises,
      details: d.labelDetails,
      industry: d.labelIndustry
    };
  }

  function regionMap(node) {
    var labels = labelsOf(node);
    var map = baseMap(node, { zoomSnap: 0.25, preferCanvas: false });
    // One pane per level and role, so stacking never depends on the order layers are (re)added:
    // the smallest area's fill is on top (it gets the hover), the largest area's line is on top.
    LEVELS.forEach(function (level, i) {
      map.createPane("fill-" + level).style.zIndex = String(350 + i);
      var lines = map.createPane("line-" + level);
      lines.style.zIndex = String(430 - i);
      lines.style.pointerEvents = "none";
    });
    map.createPane("enterprises").style.zIndex = "450";
    var placed = false;
    showMessage(node, node.dataset.labelLoading, "loading");

    Promise.all([getJSON(node.dataset.regionsUrl), getJSON(node.dataset.enterprisesUrl)])
      .then(function (data) {
        var regions = data[0].features || [];
        var enterprises = data[1].features || [];
        var byCode = {};
        regions.forEach(function (f) { byCode[f.properties.code] = f.properties; });
        var groups = {};
        var bounds = L.latLngBounds([]);
        LEVELS.forEach(function (level) { groups[level] = L.layerGroup(); });
        LEVELS.forEach(function (level) {
          regions.filter(function (f) { return f.properties.level === level; })
            .forEach(function (f) {
              var fill = L.geoJSON(f, {
                pane: "fill-" + level,
                style: Object.assign({ stroke: false, fill: true, className: "er-area er-area-" + level },
                  FILL_STYLE[level])
              });
              fill.bindTooltip(regionTooltip(f.properties, byCode, labels), {
                sticky: true, direction: "top", className: "area-tooltip", offset: [0, -6]
              });
              fill.on("mouseover", function () {
                fill.setStyle({ fillOpacity: level === "grid" ? 0.85 : 0.25 });
              });
              fill.on("mouseout", function () { fill.setStyle(FILL_STYLE[level]); });
              var line = L.geoJSON(f, {
                pane: "line-" + level,
                interactive: false,
                style: Object.assign({ fill: false, className: "er-line er-line-" + level },
                  LINE_STYLE[level])
              });
              if (level === "county") {
                line.bindTooltip(el("span", null, f.properties.name), {
                  permanent: true, direction: "center", className: "district-label", interactive: false
                });
              }
              groups[level].addLayer(fill).addLayer(line);
              bounds.extend(line.getBounds());
            });
        });

        var markers = L.layerGroup();
        var placedMarkers = []; // {marker, props}: for what colours or filters them (greencode-map.js)
        var small = node.clientWidth < 600;
        enterprises.forEach(function (f) {
          var c = f.geometry && f.geometry.coordinates;
          if (!c) return;
          var marker = L.circleMarker([c[1], c[0]], Object.assign({}, MARKER_STYLE, {
            pane: "enterprises", radius: small ? 4 : MARKER_STYLE.radius
          }));
          marker.bindPopup(enterprisePopup(f.properties, labels), { className: "er-popup-box" });
          marker.bindTooltip(el("span", null, f.properties.name), { direction: "top", offset: [0, -4] });
          marker.on("popupopen", function () { marker.closeTooltip(); });
          markers.addLayer(marker);
          placedMarkers.push({ marker: marker, props: f.properties });
          if (!regions.length) bounds.extend(marker.getLatLng());
        });
        // The view first, without animation, so everything is drawn once, in place.
        if (bounds.isValid()) {
          map.fitBounds(bounds, { padding: [16, 16], animate: false });
        } else {
          map.setView([30.0, 120.0], 9, { animate: false });
        }
        placed = true;
        LEVELS.forEach(function (level) { groups[level].addTo(map); });
        markers.addTo(map);

        var overlays = {};
        ["county", "township", "grid"].forEach(function (level) { overlays[labels[level]] = groups[level]; });
        overlays[labels.enterprises + " (" + enterprises.length + ")"] = markers;
        var layers = L.control.layers(null, overlays, {
          collapsed: window.innerWidth < 720, position: "topright"
        }).addTo(map);
        legend(labels).addTo(map);
        L.control.scale({ imperial: false, position: "bottomright" }).addTo(map);

        showMessage(node, "");
        node.dataset.ready = "true";
        node.dataset.regions = String(regions.length);
        node.dataset.enterprises = String(enterprises.length);
        // Other scripts of the page (the green code's colours, the hotspots) take the map from here.
        node.erMap = { map: map, markers: markers, items: placedMarkers, layers: layers };
        node.dispatchEvent(new CustomEvent("er:map-ready"));
      })
      .catch(function (error) {
        if (!placed) map.setView([30.0, 120.0], 9, { animate: false });
        showMessage(node, node.dataset.labelFailed, "error");
        node.dataset.ready = "error";
        if (window.console) window.console.error(error);
      });
  }

  function enterpriseMap(node) {
    var lat = parseFloat(node.dataset.lat);
    var lon = parseFloat(node.dataset.lon);
    var map = baseMap(node, { scrollWheelZoom: false, zoomSnap: 0.25 });
    var area = null;
    var bounds = L.latLngBounds([[lat, lon], [lat, lon]]);
    if (node.dataset.region) {
      area = L.geoJSON(JSON.parse(node.dataset.region), {
        style: {
          color: "#3f8a8c", weight: 1.5, fillColor: "#d3e6dd", fillOpacity: 0.55, className: "er-area"
        }
      });
      if (node.dataset.regionName) {
        area.bindTooltip(el("span", null, node.dataset.regionName), { sticky: true });
      }
      bounds.extend(area.getBounds());
    }
    // The view first: layers are drawn once the map knows where it is.
    if (area) {
      map.fitBounds(bounds, { padding: [28, 28], maxZoom: 16, animate: false });
      area.addTo(map);
    } else {
      map.setView([lat, lon], 15, { animate: false });
    }
    var marker = L.circleMarker([lat, lon], Object.assign({}, MARKER_STYLE, { radius: 8, weight: 2 }))
      .addTo(map);
    marker.bindTooltip(el("span", null, node.dataset.name), { direction: "top", offset: [0, -8] });
    L.control.scale({ imperial: false }).addTo(map);
    node.dataset.ready = "true";
  }

  function start() {
    if (typeof L === "undefined") return;
    var region = document.getElementById("region-map");
    if (region) regionMap(region);
    var enterprise = document.getElementById("enterprise-map");
    if (enterprise) enterpriseMap(enterprise);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
