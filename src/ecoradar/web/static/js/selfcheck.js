// Self-inspection: the browser's position on the task form (with a warning when far from the
// control point), and the print button of the QR sheet. No framework, no outside requests.
(function () {
  "use strict";

  function metres(lat1, lon1, lat2, lon2) {
    var rad = Math.PI / 180;
    var dLat = (lat2 - lat1) * rad;
    var dLon = (lon2 - lon1) * rad;
    var h = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
  }

  function locate(form) {
    var status = document.getElementById("position-status");
    var warning = document.getElementById("far-warning");
    if (!navigator.geolocation || !status) { return; }
    status.textContent = status.dataset.waiting;
    navigator.geolocation.getCurrentPosition(function (position) {
      var lat = position.coords.latitude;
      var lon = position.coords.longitude;
      document.getElementById("pos-lat").value = lat.toFixed(6);
      document.getElementById("pos-lon").value = lon.toFixed(6);
      var far = metres(parseFloat(form.dataset.pointLat), parseFloat(form.dataset.pointLon), lat, lon);
      status.textContent = status.dataset.here.replace("{m}", String(Math.round(far)));
      if (warning) { warning.hidden = far <= parseFloat(form.dataset.far); }
    }, function () {
      status.textContent = status.dataset.unknown;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("task-form");
    if (form) { locate(form); }
    var print = document.getElementById("print-sheet");
    if (print) { print.addEventListener("click", function () { window.print(); }); }
  });
})();
