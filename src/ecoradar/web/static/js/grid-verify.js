/* The verification forms: the on-site record's time and the phone's position are filled in
   before sending (the workflow needs them). */
(function () {
  "use strict";
  function local(now) {
    var t = new Date(now.getTime() + 8 * 3600 * 1000); // China time, as the form reads it
    return t.toISOString().slice(0, 19);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll(".verify-form");
    if (!forms.length) return;
    function place(pos) {
      forms.forEach(function (f) {
        f.querySelector(".verify-lat").value = pos.coords.latitude.toFixed(6);
        f.querySelector(".verify-lon").value = pos.coords.longitude.toFixed(6);
        f.querySelector(".verify-place").textContent = pos.coords.latitude.toFixed(5) + ", " + pos.coords.longitude.toFixed(5);
      });
    }
    if (navigator.geolocation) {
      navigator.geolocation.getCurrentPosition(place, function () {}, { enableHighAccuracy: true, timeout: 20000 });
    }
    forms.forEach(function (f) {
      f.addEventListener("submit", function () { f.querySelector(".verify-at").value = local(new Date()); });
    });
  });
})();
