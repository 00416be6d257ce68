/* EcoRadar — one problem's page (/problems/{id}): the map of the place, the on-site form's
 * position from the device's GPS, and the reporter's identity fetched on demand.
 *
 * Labels come from data-* attributes the server has translated; values from the API are set as
 * text (textContent), never as HTML. Base-map tiles are optional, as on the other maps.
 */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /* --- the map ------------------------------------------------------------------------- */

  function problemMap(node) {
    if (typeof L === "undefined") return;
    var lat = parseFloat(node.dataset.lat);
    var lon = parseFloat(node.dataset.lon);
    var tileUrl = node.dataset.tileUrl || "";
    var map = L.map(node, {
      attributionControl: !!tileUrl, maxZoom: 18, scrollWheelZoom: false, zoomSnap: 0.25
    });
    if (tileUrl) {
      L.tileLayer(tileUrl, { attribution: node.dataset.tileAttribution || "", maxZoom: 18 }).addTo(map);
    } else {
      node.classList.add("no-tiles");
    }
    var bounds = L.latLngBounds([[lat, lon], [lat, lon]]);
    var area = null;
    if (node.dataset.region) {
      area = L.geoJSON(JSON.parse(node.dataset.region), {
        style: { color: "#3f8a8c", weight: 1.5, fillColor: "#d3e6dd", fillOpacity: 0.55, className: "er-area" }
      });
      if (node.dataset.regionName) {
        area.bindTooltip(el("span", null, node.dataset.regionName), { sticky: true });
      }
      bounds.extend(area.getBounds());
    }
    var findings = JSON.parse(node.dataset.findings || "[]");
    findings.forEach(function (p) { bounds.extend([p[0], p[1]]); });
    // The view first: layers are drawn once the map knows where it is.
    map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16, animate: false });
    if (area) area.addTo(map);
    findings.forEach(function (p) {
      if (p[0] === lat && p[1] === lon) return;
      L.circleMarker([p[0], p[1]], {
        radius: 5, color: "#ffffff", weight: 1.2, fillColor: "#17727a", fillOpacity: 0.9
      }).bindTooltip(el("span", null, node.dataset.findingLabel)).addTo(map);
    });
    var marker = L.circleMarker([lat, lon], {
      radius: 8, color: "#ffffff", weight: 2, fillColor: "#c2452d", fillOpacity: 0.9, className: "er-marker"
    }).addTo(map);
    marker.bindTooltip(el("span", null, node.dataset.name), { direction: "top", offset: [0, -8] });
    L.control.scale({ imperial: false }).addTo(map);
    node.dataset.ready = "true";
  }

  /* --- the on-site form: the device's position ------------------------------------------ */

  function onsiteForm(form) {
    var lat = form.querySelector("#onsite-lat");
    var lon = form.querySelector("#onsite-lon");
    var status = form.querySelector("#gps-status");
    var button = form.querySelector("#use-position");
    var box = form.closest("details");

    function say(text, state) {
      status.textContent = text || "";
      form.dataset.gps = state;
    }

    function locate(always) {
      if (!navigator.geolocation) {
        say(form.dataset.gpsFailed, "failed");
        return;
      }
      if (!always && (lat.value || lon.value)) return;
      say(form.dataset.gpsWaiting, "waiting");
      navigator.geolocation.getCurrentPosition(
        function (position) {
          lat.value = position.coords.latitude.toFixed(6);
          lon.value = position.coords.longitude.toFixed(6);
          say(form.dataset.gpsDone, "done");
        },
        function () { say(form.dataset.gpsFailed, "failed"); },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    }

    // Asked when the form is opened (not on page load), and again on request.
    if (box) {
      box.addEventListener("toggle", function () { if (box.open) locate(false); });
      if (box.open) locate(false);
    }
    if (button) button.addEventListener("click", function () { locate(true); });
  }

  /* --- the reporter, on demand (each look is logged by the server) ----------------------- */

  function reporterBox(node) {
    var button = node.querySelector("#show-reporter");
    var list = node.querySelector("#reporter-list");
    var labels = JSON.parse(node.dataset.labels || "{}");
    button.addEventListener("click", function () {
      button.disabled = true;
      fetch(node.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (reporters) {
          list.textContent = "";
          if (!reporters.length) {
            list.appendChild(el("p", "empty", labels.none));
          }
          reporters.forEach(function (r) {
            var dl = el("dl", "reporter facts");
            [
              [labels.finding, "#" + r.finding_id],
              [labels.name, r.name],
              [labels.contact, r.contact],
              [labels.account, r.user_id ? "#" + r.user_id : null]
            ].forEach(function (row) {
              if (row[1] === null || row[1] === undefined || row[1] === "") return;
              dl.appendChild(el("dt", null, row[0]));
              dl.appendChild(el("dd", null, row[1]));
            });
            list.appendChild(dl);
          });
          list.hidden = false;
          button.hidden = true;
          node.dataset.shown = "true";
        })
        .catch(function () {
          list.textContent = "";
          list.appendChild(el("p", "form-error", labels.failed));
          list.hidden = false;
          button.disabled = false;
        });
    });
  }

  function start() {
    var map = document.getElementById("problem-map");
    if (map) problemMap(map);
    var onsite = document.getElementById("form-onsite");
    if (onsite) onsiteForm(onsite);
    var reporter = document.getElementById("reporter");
    if (reporter) reporterBox(reporter);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
