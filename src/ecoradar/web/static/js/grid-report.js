/* The grid worker's report form: the phone's position, the chosen kind's questions, photos;
   on send the report goes into the browser's queue (grid-queue.js) and is sent from there,
   at once when online, else when the connection returns. */
(function () {
  "use strict";

  function fill(t, v) { return String(t || "").replace(/\{(\w+)\}/g, function (m, k) { return v[k] !== undefined ? v[k] : m; }); }

  function start() {
    var form = document.getElementById("grid-report");
    if (!form) return;
    var d = form.dataset;
    var lat = document.getElementById("grid-lat"), lon = document.getElementById("grid-lon");
    var place = document.getElementById("grid-place"), error = document.getElementById("grid-error");
    var category = document.getElementById("grid-category");
    var photos = document.getElementById("grid-photos");

    function locate() {
      if (!navigator.geolocation) { place.textContent = d.labelNoLocation; return; }
      place.textContent = d.labelWaiting;
      navigator.geolocation.getCurrentPosition(function (pos) {
        lat.value = pos.coords.latitude.toFixed(6);
        lon.value = pos.coords.longitude.toFixed(6);
        place.textContent = fill(d.labelLocated, { m: Math.round(pos.coords.accuracy || 0) });
      }, function () { place.textContent = d.labelNoLocation; },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
    }

    function showAttributes() {
      form.querySelectorAll("fieldset.attributes").forEach(function (fs) {
        var on = fs.dataset.category === category.value;
        fs.hidden = !on;
        fs.disabled = !on;
      });
    }

    function attributes() {
      var out = {};
      var fs = document.getElementById("attributes-" + category.value);
      if (!fs) return "";
      fs.querySelectorAll("input, select, textarea").forEach(function (el) {
        var m = /\]\[([^\]]+)\]$/.exec(el.name || "");
        if (!m) return;
        if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
        if (!el.value) return;
        if (el.type === "checkbox") (out[m[1]] = out[m[1]] || []).push(el.value);
        else out[m[1]] = el.value;
      });
      return Object.keys(out).length ? JSON.stringify(out) : "";
    }

    function refuse(text) { error.textContent = text; error.hidden = false; }

    category.addEventListener("change", showAttributes);
    document.getElementById("grid-locate").addEventListener("click", locate);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      error.hidden = true;
      var files = Array.prototype.slice.call(photos.files || []);
      var types = d.types.split(",");
      if (!category.value) return refuse(d.labelNeedCategory);
      var text = document.getElementById("grid-description").value.trim();
      if (!text) return refuse(d.labelNeedText);
      if (!files.length) return refuse(d.labelNeedPhoto);
      var bad = files.filter(function (f) { return types.indexOf(f.type) < 0 || f.size > +d.maxBytes; })[0];
      if (bad) return refuse(fill(d.labelPhotoBad, { name: bad.name }));
      if (!lat.value || !lon.value) return refuse(d.labelNeedPlace);
      var report = {
        category: category.value,
        description: text,
        lat: lat.value.trim(),
        long: lon.value.trim(),
        observed_at: new Date().toISOString(),
        attributes: attributes(),
        patrol_id: d.patrol || "",
        photos: files.slice(0, +d.maxPhotos).map(function (f) { return { name: f.name, type: f.type, blob: f }; })
      };
      window.GridQueue.add(report).then(function () {
        form.reset();
        showAttributes();
        locate();
        var sent = document.getElementById("grid-sent");
        sent.hidden = false;
        sent.textContent = d.labelQueued;
        return window.GridQueue.flush();
      });
    });
    locate();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
