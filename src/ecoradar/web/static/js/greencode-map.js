/* EcoRadar map (/map): the enterprises' markers coloured by their green code, and a filter
 * by colour that is also the legend.
 *
 * #region-map carries data-codes-url (GET: {colours: [...], codes: [[code, colour, score]]})
 * and data-gc-labels (JSON: title, none, score, open, colours {name: label}). maps.js hands
 * over its markers (node.erMap, event "er:map-ready"). ?colour=red in the page's address shows
 * only that colour at first. When done, the node gets data-greencode="ready" and
 * data-gc-shown (markers shown); "none" when no code is computed yet (nothing changes);
 * "error" when the codes could not be loaded.
 */
(function () {
  "use strict";

  var COLOURS = { green: "#1b7a3d", blue: "#1f5fa8", yellow: "#f2c12e", red: "#c0392b", black: "#1f1f1f", none: "#9aa7ab" };
  /* Worse codes are larger and outlined darker, so they stand out without telling colours apart. */
  var RADIUS = { green: 4, blue: 4.5, yellow: 6, red: 7.5, black: 7.5, none: 3.5 };
  var OUTLINE = { yellow: "#6b5200", red: "#3b0a05", black: "#000000" };
  var MARKS = { green: "✓", blue: "●", yellow: "!", red: "✕", black: "■" };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function badge(colour, label) {
    var box = el("span", "gc-badge gc-" + colour);
    box.appendChild(el("span", "gc-mark", MARKS[colour] || "?"));
    box.appendChild(el("span", "gc-badge-text", label));
    return box;
  }

  function wanted(colours) {
    var asked = new URLSearchParams(window.location.search).get("colour");
    var shown = {};
    colours.concat(["none"]).forEach(function (c) { shown[c] = !asked || asked === c; });
    if (asked && colours.indexOf(asked) < 0) {
      colours.concat(["none"]).forEach(function (c) { shown[c] = true; });
    }
    return shown;
  }

  function apply(node, data, labels) {
    var state = node.erMap;
    if (!data.codes || !data.codes.length) {
      node.dataset.greencode = "none"; // no code computed yet: the map stays as it was
      return;
    }
    var byCode = {};
    (data.codes || []).forEach(function (row) { byCode[row[0]] = { colour: row[1], score: row[2] }; });
    var colours = data.colours || [];
    var counts = { none: 0 };
    colours.forEach(function (c) { counts[c] = 0; });
    state.items.forEach(function (item) {
      var code = byCode[item.props.code];
      var key = code ? code.colour : "none";
      if (counts[key] === undefined) { counts[key] = 0; colours.push(key); }
      counts[key] += 1;
      item.colour = key;
      item.marker.setStyle({
        fillColor: COLOURS[key] || COLOURS.none,
        color: OUTLINE[key] || "#ffffff",
        weight: OUTLINE[key] ? 1.6 : 1.2,
        fillOpacity: key === "none" ? 0.7 : 0.95
      });
      item.marker.setRadius(RADIUS[key] || RADIUS.none);
      var popup = item.marker.getPopup();
      var box = popup && popup.getContent();
      if (code && box && box.appendChild) {
        var line = el("span", "gc-popup-line");
        line.appendChild(badge(key, (labels.colours || {})[key] || key));
        line.appendChild(document.createTextNode(" " + labels.score + " " + Number(code.score).toFixed(1)));
        var link = el("a", "gc-popup-link", labels.open + " →");
        link.href = "/greencode/" + encodeURIComponent(item.props.code);
        box.insertBefore(line, box.lastChild);
        box.appendChild(link);
      }
    });
    // The worst on top.
    ["yellow", "red", "black"].forEach(function (c) {
      state.items.forEach(function (item) { if (item.colour === c) item.marker.bringToFront(); });
    });

    var shown = wanted(colours);
    function refresh() {
      var visible = 0;
      state.items.forEach(function (item) {
        var on = !!shown[item.colour];
        var has = state.markers.hasLayer(item.marker);
        if (on && !has) state.markers.addLayer(item.marker);
        if (!on && has) state.markers.removeLayer(item.marker);
        if (on) visible += 1;
      });
      node.dataset.gcShown = String(visible);
    }

    var control = L.control({ position: "bottomleft" });
    control.onAdd = function () {
      var box = el("div", "gc-map-filter");
      box.id = "gc-map-filter";
      box.appendChild(el("h2", null, labels.title));
      colours.concat(counts.none ? ["none"] : []).forEach(function (c) {
        var row = el("label");
        var input = el("input");
        input.type = "checkbox";
        input.checked = !!shown[c];
        input.dataset.colour = c;
        input.addEventListener("change", function () { shown[c] = input.checked; refresh(); });
        row.appendChild(input);
        if (c === "none") {
          row.appendChild(el("span", "gc-map-none"));
          row.appendChild(el("span", null, labels.none));
        } else {
          row.appendChild(badge(c, (labels.colours || {})[c] || c));
        }
        row.appendChild(el("span", "gc-count", counts[c] || 0));
        box.appendChild(row);
      });
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.addTo(state.map);
    // The markers' single colour in the base legend no longer holds: this filter explains them.
    var dot = node.querySelector(".map-legend .legend-dot");
    if (dot && dot.parentNode) dot.parentNode.style.display = "none";
    refresh();
    node.dataset.greencode = "ready";
  }

  function start() {
    var node = document.getElementById("region-map");
    if (!node || !node.dataset.codesUrl || typeof L === "undefined") return;
    var labels = JSON.parse(node.dataset.gcLabels || "{}");
    var codes = fetch(node.dataset.codesUrl, {
      headers: { Accept: "application/json" }, credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) throw new Error(node.dataset.codesUrl + ": HTTP " + response.status);
      return response.json();
    });
    function ready() {
      codes.then(function (data) { apply(node, data, labels); }).catch(function (error) {
        node.dataset.greencode = "error";
        if (window.console) window.console.error(error);
      });
    }
    if (node.erMap) ready(); else node.addEventListener("er:map-ready", ready, { once: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
