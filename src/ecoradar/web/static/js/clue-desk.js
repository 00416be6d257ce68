/* EcoRadar clue desk (/clues, /clues/{id}): the map of the filtered clues, "select all", the
 * fields each bulk action needs, and picking a problem found by the search.
 *
 * Labels come from data-* attributes the server has translated; text from the server is set as
 * text (textContent), never as HTML. Without base-map tiles the points show on a plain
 * background, as on a closed network. The results part is swapped in by htmx: everything here
 * is bound again (or delegated) after a swap.
 */
(function () {
  "use strict";

  var STYLE = { radius: 6, color: "#ffffff", weight: 1.2, fillColor: "#c2452d", fillOpacity: 0.9 };
  var DONE_STYLE = { fillColor: "#7d8b8c" };
  var FINAL = { rejected: 1, unfounded: 1, closed: 1, transferred: 1 };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function popup(point, node) {
    var box = el("div", "clue-pop");
    var link = el("a", null, (node.dataset.labelClue || "") + " " + point.id);
    link.href = "/clues/" + point.id;
    box.appendChild(link);
    box.appendChild(el("span", "sub", (node.dataset.labelProblem || "") + " #" + point.problem_id));
    return box;
  }

  function drawMap(node) {
    if (node.dataset.ready || typeof L === "undefined") return;
    var points = [];
    try { points = JSON.parse(node.dataset.points || "[]"); } catch (e) { points = []; }
    var tileUrl = node.dataset.tileUrl || "";
    var map = L.map(node, { attributionControl: !!tileUrl, maxZoom: 18, scrollWheelZoom: false });
    if (tileUrl) {
      L.tileLayer(tileUrl, { attribution: node.dataset.tileAttribution || "", maxZoom: 18 }).addTo(map);
    } else {
      node.classList.add("no-tiles");
    }
    var bounds = L.latLngBounds([]);
    var layer = L.layerGroup();
    points.forEach(function (p) {
      var style = Object.assign({}, STYLE, FINAL[p.state] ? DONE_STYLE : {});
      var marker = L.circleMarker([p.lat, p.lon], Object.assign({ className: "clue-marker clue-" + p.id }, style));
      marker.bindPopup(popup(p, node));
      layer.addLayer(marker);
      bounds.extend(marker.getLatLng());
    });
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [20, 20], maxZoom: 16, animate: false });
    } else {
      map.setView([30.0, 120.0], 9, { animate: false });
    }
    layer.addTo(map);
    L.control.scale({ imperial: false }).addTo(map);
    node.dataset.ready = "true";
    node.dataset.count = String(points.length);
    node.deskMap = map;
  }

  function selectedCount() {
    var label = document.getElementById("desk-selected-count");
    if (!label) return;
    var n = document.querySelectorAll("input.desk-select:checked").length;
    label.textContent = n ? (label.dataset.template || "{n}").replace("{n}", String(n)) : "";
  }

  function showFields(form) {
    var checked = form.querySelector("input[name=action]:checked");
    var action = checked ? checked.value : "";
    form.querySelectorAll("[data-for]").forEach(function (field) {
      field.hidden = field.dataset.for.split(" ").indexOf(action) < 0;
    });
    var reason = form.querySelector("textarea[name=reason]");
    if (reason) reason.required = action === "reject";
  }

  function bind(root) {
    root.querySelectorAll(".clue-map").forEach(drawMap);
    root.querySelectorAll("form.desk-actions").forEach(showFields);
    selectedCount();
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "desk-select-all") {
      document.querySelectorAll("input.desk-select").forEach(function (box) { box.checked = target.checked; });
    }
    if (target.classList && (target.classList.contains("desk-select") || target.id === "desk-select-all")) {
      selectedCount();
    }
    if (target.name === "action" && target.form) showFields(target.form);
  });

  document.addEventListener("click", function (event) {
    var pick = event.target.closest ? event.target.closest(".target-pick") : null;
    if (!pick) return;
    var input = document.getElementById("bulk-target");
    var kind = document.getElementById("bulk-target-kind");
    if (input) input.value = pick.dataset.problem;
    if (kind) kind.value = "problem";
    pick.classList.add("picked");
  });

  /* Before htmx replaces the results, let go of their map and of the style attributes Leaflet
   * and the browser put on them: htmx carries a replaced element's style over to its
   * successor of the same id, which the page's CSP (no inline style) refuses. */
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.querySelectorAll) return;
    target.querySelectorAll(".clue-map").forEach(function (node) {
      if (node.deskMap) { node.deskMap.remove(); node.deskMap = null; }
    });
    target.querySelectorAll("[id][style]").forEach(function (node) { node.removeAttribute("style"); });
  });

  document.addEventListener("htmx:afterSwap", function (event) { bind(event.target); });

  function start() { bind(document); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
