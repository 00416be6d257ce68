/* EcoRadar — the public's report form (/report) and its receipt.
 *
 * The form: the chosen category's questions, the description's counter, the photos (previews,
 * the server's limits checked before sending; the server checks again), the place (a pin on the
 * map, the phone's position, or coordinates typed in), who reports. The receipt: copy buttons.
 *
 * Every label comes from data-* attributes the server has translated; "{name}"-style holes are
 * filled here. Text from the visitor is set with textContent, never as HTML. Base-map tiles are
 * optional: without data-tile-url the map shows the outlines of the bureau's areas only.
 */
(function () {
  "use strict";

  var OUTLINE = {
    city: { color: "#12324a", weight: 3, opacity: 0.9 },
    county: { color: "#1f5f7a", weight: 2.2, opacity: 0.9 },
    township: { color: "#3f8a8c", weight: 1, opacity: 0.85 }
  };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  /* --- the category and its questions --------------------------------------------------- */

  function categories(form) {
    var sets = form.querySelectorAll("fieldset.attributes[data-category]");
    function show() {
      var chosen = form.querySelector('input[name="category"]:checked');
      var code = chosen ? chosen.value : "";
      each(sets, function (set) {
        var on = set.dataset.category === code;
        set.hidden = !on;
        set.disabled = !on;
      });
      form.dataset.category = code;
    }
    each(form.querySelectorAll('input[name="category"]'), function (radio) {
      radio.addEventListener("change", show);
    });
    show();
  }

  /* --- the description's counter -------------------------------------------------------- */

  function counter(form) {
    var area = form.querySelector("#report-description");
    var out = form.querySelector("#description-count");
    if (!area || !out) return;
    var max = parseInt(out.dataset.max, 10);
    var template = out.dataset.template;
    function update() {
      var used = area.value.length;
      out.textContent = fill(template, { used: used, max: max });
      out.classList.toggle("is-near", used > max * 0.9);
    }
    area.addEventListener("input", update);
    update();
  }

  /* --- photos ---------------------------------------------------------------------------- */

  function photos(form) {
    var input = form.querySelector("#report-photos");
    var list = form.querySelector("#photo-previews");
    var message = form.querySelector("#photo-message");
    if (!input || !list) return;
    var d = input.dataset;
    var max = parseInt(d.maxPhotos, 10);
    var maxBytes = parseInt(d.maxBytes, 10);
    var types = (d.types || "").split(",");
    var rebuildable = typeof DataTransfer === "function";
    var kept = [];
    var urls = [];

    function setFiles() {
      if (!rebuildable) return;
      var transfer = new DataTransfer();
      kept.forEach(function (file) { transfer.items.add(file); });
      input.files = transfer.files;
    }

    function render() {
      urls.forEach(function (url) { URL.revokeObjectURL(url); });
      urls = [];
      list.textContent = "";
      kept.forEach(function (file, index) {
        var item = el("li", "photo-preview");
        var url = URL.createObjectURL(file);
        urls.push(url);
        var img = el("img");
        img.src = url;
        img.alt = file.name;
        item.appendChild(img);
        item.appendChild(el("span", "photo-name", file.name));
        if (rebuildable) {
          var remove = el("button", "photo-remove", "×");
          remove.type = "button";
          remove.setAttribute("aria-label", d.labelRemove + ": " + file.name);
          remove.title = d.labelRemove;
          remove.addEventListener("click", function () {
            kept.splice(index, 1);
            setFiles();
            render();
            say([]);
          });
          item.appendChild(remove);
        }
        list.appendChild(item);
      });
      form.dataset.photos = String(kept.length);
    }

    function say(problems) {
      var lines = problems.slice();
      if (kept.length) lines.unshift(fill(d.labelChosen, { count: kept.length }));
      message.textContent = lines.join(" ");
      message.classList.toggle("is-problem", problems.length > 0);
    }

    input.addEventListener("change", function () {
      var problems = [];
      var next = rebuildable ? kept.slice() : [];
      each(input.files, function (file) {
        if (file.type && types.indexOf(file.type) < 0) {
          problems.push(fill(d.labelType, { name: file.name }));
        } else if (file.size > maxBytes) {
          problems.push(fill(d.labelSize, { name: file.name }));
        } else if (next.length >= max) {
          problems.push(fill(d.labelCount, { name: file.name }));
        } else {
          next.push(file);
        }
      });
      if (!rebuildable && problems.length) {
        input.value = "";  // cannot drop single files here: choose again
        next = [];
      }
      kept = next;
      setFiles();
      render();
      say(problems);
    });
  }

  /* --- the place ------------------------------------------------------------------------- */

  function place(form) {
    var node = form.querySelector("#report-map");
    var lat = form.querySelector("#report-lat");
    var lon = form.querySelector("#report-lon");
    var status = form.querySelector("#place-status");
    var button = form.querySelector("#use-location");
    if (!node || !lat || !lon) return null;
    var d = node.dataset;

    function say(text, state) {
      status.textContent = text;
      status.dataset.state = state || "";
    }

    function value(input, bound) {
      var number = parseFloat(input.value);
      return isFinite(number) && Math.abs(number) <= bound ? number : null;
    }

    if (typeof L === "undefined") {
      node.hidden = true;
      var details = form.querySelector("details.coords");
      if (details) details.open = true;
      return {
        pinned: function () { return value(lat, 90) !== null && value(lon, 180) !== null; },
        refuse: function (text) { say(text, "missing"); lat.focus(); }
      };
    }

    var tileUrl = d.tileUrl || "";
    var map = L.map(node, { attributionControl: !!tileUrl, maxZoom: 18, zoomSnap: 0.25, scrollWheelZoom: false });
    if (tileUrl) {
      L.tileLayer(tileUrl, { attribution: d.tileAttribution || "", maxZoom: 18 }).addTo(map);
    } else {
      node.classList.add("no-tiles");
    }
    var area = d.bounds ? L.latLngBounds(JSON.parse(d.bounds)) : null;
    if (area) {
      map.fitBounds(area, { padding: [10, 10], animate: false });
    } else {
      map.setView([30.0, 120.0], 9, { animate: false });
    }
    // District names only once the areas are large enough on the screen to carry them.
    var labelZoom = area ? map.getBoundsZoom(area) - 0.5 : 0;
    function labels() { node.classList.toggle("hide-labels", map.getZoom() < labelZoom); }
    map.on("zoomend", labels);
    labels();
    var marker = null;
    var rings = [];  // the outer rings of the areas, for telling a pin outside them

    function within(ring, x, y) {
      var inside = false;
      for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
        if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
      }
      return inside;
    }

    function outside(la, lo) {
      return rings.length > 0 && !rings.some(function (ring) { return within(ring, lo, la); });
    }

    function show(la, lo) {
      lat.value = la.toFixed(6);
      lon.value = lo.toFixed(6);
      describe();
      node.classList.remove("is-invalid");
      node.dataset.pinned = "true";
    }

    function describe() {
      var la = value(lat, 90);
      var lo = value(lon, 180);
      if (la === null || lo === null) return;
      var text = fill(d.labelPlaced, { lat: lat.value, lon: lon.value });
      if (outside(la, lo)) {
        say(text + " " + d.labelOutside, "outside");
      } else {
        say(text, "placed");
      }
    }

    function pin(la, lo, focus) {
      var where = L.latLng(la, lo);
      if (!marker) {
        marker = L.marker(where, { draggable: true, keyboard: true, title: d.labelPin, alt: d.labelPin });
        marker.on("dragend", function () {
          var p = marker.getLatLng();
          show(p.lat, p.lng);
        });
        marker.addTo(map);
      } else {
        marker.setLatLng(where);
      }
      if (focus === "both" && area) {
        // the pin and the bureau's areas in one view: a pin far outside shows as such
        map.fitBounds(L.latLngBounds([where, where]).extend(area), {
          paddingTopLeft: [24, 52], paddingBottomRight: [24, 16], maxZoom: 15, animate: false
        });
      } else if (focus) {
        // without base-map tiles a close view shows nothing to go by: keep the areas in view
        map.setView(where, tileUrl ? Math.max(map.getZoom(), 16) : map.getZoom(), { animate: false });
      }
    }

    map.on("click", function (event) {
      pin(event.latlng.lat, event.latlng.lng, false);
      show(event.latlng.lat, event.latlng.lng);
    });

    function typed(focus) {
      var la = value(lat, 90);
      var lo = value(lon, 180);
      if (la !== null && lo !== null) {
        pin(la, lo, focus);
        show(la, lo);
      }
    }
    lat.addEventListener("change", function () { typed("both"); });
    lon.addEventListener("change", function () { typed("both"); });
    if (lat.value && lon.value) typed("both");  // the form came back: the pin where it was

    fetch(d.areasUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(d.areasUrl + ": HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        (data.features || []).forEach(function (feature) {
          var g = feature.geometry || {};
          if (g.type === "Polygon") rings.push(g.coordinates[0]);
          if (g.type === "MultiPolygon") g.coordinates.forEach(function (p) { rings.push(p[0]); });
        });
        L.geoJSON(data, {
          interactive: false,
          style: function (feature) {
            return Object.assign({ fill: false }, OUTLINE[feature.properties.level] || OUTLINE.township);
          },
          onEachFeature: function (feature, layer) {
            if (feature.properties.level !== "county") return;
            layer.bindTooltip(el("span", null, feature.properties.name), {
              permanent: true, direction: "center", className: "district-label", interactive: false
            });
          }
        }).addTo(map);
        if (marker) describe();
        node.dataset.ready = "true";
      })
      .catch(function () {
        say(d.labelFailed, "failed");
        node.dataset.ready = "error";
      });

    if (button) {
      button.addEventListener("click", function () {
        if (!navigator.geolocation) {
          say(d.labelNoLocation, "failed");
          return;
        }
        say(d.labelWaiting, "waiting");
        button.disabled = true;
        navigator.geolocation.getCurrentPosition(
          function (position) {
            button.disabled = false;
            var c = position.coords;
            pin(c.latitude, c.longitude, true);
            show(c.latitude, c.longitude);
            status.textContent = fill(d.labelLocated, { m: Math.round(c.accuracy || 0) }) + " " + status.textContent;
          },
          function () {
            button.disabled = false;
            say(d.labelNoLocation, "failed");
          },
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
        );
      });
    }

    return {
      pinned: function () { return value(lat, 90) !== null && value(lon, 180) !== null; },
      refuse: function (text) {
        say(text, "missing");
        node.classList.add("is-invalid");
        node.scrollIntoView({ block: "center" });
        node.focus({ preventScroll: true });
      }
    };
  }

  /* --- who reports ---------------------------------------------------------------------- */

  function identity(form) {
    var fields = form.querySelector("#contact-fields");
    if (!fields) return;
    function show() {
      var named = form.querySelector('input[name="identity"][value="named"]');
      var on = !!(named && named.checked);
      fields.hidden = !on;
      fields.disabled = !on;
    }
    each(form.querySelectorAll('input[name="identity"]'), function (radio) {
      radio.addEventListener("change", show);
    });
    show();
  }

  /* --- the form -------------------------------------------------------------------------- */

  function reportForm(form) {
    categories(form);
    counter(form);
    photos(form);
    identity(form);
    var where = place(form);
    var submit = form.querySelector("#report-submit");
    form.addEventListener("submit", function (event) {
      if (where && !where.pinned()) {
        event.preventDefault();
        where.refuse(form.dataset.labelPlaceMissing);
        return;
      }
      if (submit) {
        submit.disabled = true;
        submit.textContent = form.dataset.labelSending;
      }
    });
    // A form that came back refused: its message first.
    var error = document.getElementById("form-error");
    if (error) error.focus();
  }

  /* --- the receipt: copy buttons --------------------------------------------------------- */

  function copyButton(button) {
    var target = document.getElementById(button.dataset.copy);
    if (!target) return;
    var label = button.textContent;
    function done() {
      button.textContent = button.dataset.labelCopied;
      button.classList.add("is-copied");
      window.setTimeout(function () {
        button.textContent = label;
        button.classList.remove("is-copied");
      }, 2500);
    }
    function select() {
      var range = document.createRange();
      range.selectNodeContents(target);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    button.addEventListener("click", function () {
      var text = target.textContent.trim();
      select();
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () { /* selected: copy by hand */ });
      }
    });
  }

  function start() {
    var form = document.getElementById("report-form");
    if (form) reportForm(form);
    each(document.querySelectorAll("button[data-copy]"), copyButton);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
