/* EcoRadar map (/map): the hotspots — where reports, alerts and findings crowd together more
 * than the area's usual level — as hexagons, a layer of their own (on by default when any).
 *
 * #region-map carries data-hotspots-url (GeoJSON of H3 cells with each hotspot's figures) and
 * data-hotspot-labels (JSON: title, events, usual, score, categories {code: label}). When done,
 * the node gets data-hotspots = the number of hotspots, or "error".
 */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function tooltip(props, labels) {
    var box = el("div", "hotspot-tip");
    box.appendChild(el("strong", null, labels.title + " #" + props.rank));
    var category = (labels.categories || {})[props.category] || props.category;
    box.appendChild(el("span", null, " " + category));
    box.appendChild(el("br"));
    box.appendChild(el("span", null, labels.events + " " + props.count + " · " + labels.usual + " " +
      Number(props.expected).toFixed(1) + " · " + labels.score + " " + props.score));
    return box;
  }

  function ready(node) {
    var state = node.erMap;
    var labels = JSON.parse(node.dataset.hotspotLabels || "{}");
    fetch(node.dataset.hotspotsUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        var features = data.features || [];
        var ranks = {};
        features.forEach(function (f) { ranks[f.properties.rank] = true; });
        var count = Object.keys(ranks).length;
        var layer = L.geoJSON(data, {
          style: function (f) {
            var strong = Math.min(1, f.properties.score / 12);
            return { color: "#8e1b10", weight: 1, fillColor: "#d9442b", fillOpacity: 0.25 + 0.4 * strong, className: "er-hotspot" };
          },
          onEachFeature: function (f, l) { l.bindTooltip(tooltip(f.properties, labels), { sticky: true }); }
        });
        if (state.layers) state.layers.addOverlay(layer, labels.title + " (" + count + ")");
        if (count) layer.addTo(state.map);
        node.dataset.hotspots = String(count);
      })
      .catch(function () { node.dataset.hotspots = "error"; });
  }

  function start() {
    var node = document.getElementById("region-map");
    if (!node || !node.dataset.hotspotsUrl || typeof L === "undefined") return;
    if (node.erMap) ready(node); else node.addEventListener("er:map-ready", function () { ready(node); }, { once: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
