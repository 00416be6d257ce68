/* EcoRadar enterprise page (/registry/{code}): tabs over the page's sections.
 *
 * Each tab is a link to its section's anchor (#code, #monitoring, ...); without script every
 * section shows. With script one section shows at a time, chosen by the address's hash, and a
 * section whose node carries data-src loads it once, through htmx, the first time it shows.
 * After a section is swapped in, the charts it holds are drawn by the scripts the monitoring
 * and power pages use (series.js, power.js), which draw whatever chart node they find when
 * they run: they are run again for the new node.
 */
(function () {
  "use strict";

  var CHART_SCRIPTS = { "series-chart": "/static/js/series.js", "power-chart": "/static/js/power.js" };

  function panels() {
    return Array.prototype.slice.call(document.querySelectorAll(".ent-panel"));
  }

  function tabs() {
    return Array.prototype.slice.call(document.querySelectorAll("#ent-tabs .ent-tab"));
  }

  function load(panel) {
    var src = panel.dataset.src;
    if (!src || panel.dataset.loaded || typeof htmx === "undefined") return;
    panel.dataset.loaded = "loading";
    panel.setAttribute("aria-busy", "true");
    htmx.ajax("GET", src, { target: panel, swap: "innerHTML" });
  }

  function show(name, focus) {
    var found = panels().some(function (p) { return p.dataset.section === name; });
    if (!found) name = "registry";
    panels().forEach(function (panel) {
      var on = panel.dataset.section === name;
      panel.hidden = !on;
      if (on) load(panel);
      if (on && focus) panel.focus({ preventScroll: true });
    });
    tabs().forEach(function (tab) {
      var on = tab.dataset.section === name;
      tab.classList.toggle("active", on);
      if (on) tab.setAttribute("aria-current", "true");
      else tab.removeAttribute("aria-current");
    });
    document.body.dataset.section = name;
  }

  function fromHash(focus) {
    show(decodeURIComponent((window.location.hash || "#registry").slice(1)), focus);
  }

  function runCharts(root) {
    Object.keys(CHART_SCRIPTS).forEach(function (id) {
      var node = root.querySelector("#" + id);
      if (!node || node.dataset.ready) return;
      var script = document.createElement("script");
      script.src = CHART_SCRIPTS[id] + "?v=" + version;
      document.head.appendChild(script);
    });
  }

  var version = "";

  function start() {
    var nav = document.getElementById("ent-tabs");
    if (!nav) return;
    version = nav.dataset.version || "";
    document.body.classList.add("ent-tabbed");
    window.addEventListener("hashchange", function () { fromHash(true); });
    document.body.addEventListener("htmx:afterSettle", function (event) {
      var panel = event.target.closest ? event.target.closest(".ent-panel") : null;
      if (!panel) return;
      panel.dataset.loaded = "true";
      panel.setAttribute("aria-busy", "false");
      runCharts(panel);
    });
    // htmx carries an old element's attributes over to the new one of the same id while it
    // settles; a drawn chart's style attribute would then be set from script, which the
    // Content-Security-Policy forbids. The old nodes are going: drop their styles first.
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      var target = event.detail && event.detail.target;
      if (!target || !target.classList || !target.classList.contains("ent-panel")) return;
      Array.prototype.forEach.call(target.querySelectorAll("[id][style]"), function (node) {
        node.removeAttribute("style");
      });
    });
    document.body.addEventListener("htmx:responseError", function (event) {
      var panel = event.target.closest ? event.target.closest(".ent-panel") : null;
      if (!panel) return;
      panel.dataset.loaded = "";
      panel.setAttribute("aria-busy", "false");
    });
    fromHash(false);
  }

  // After every deferred script (htmx among them, whatever their order) has run.
  if (document.readyState === "complete") {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
