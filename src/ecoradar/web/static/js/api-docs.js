/* The API documentation page (/api/docs): Swagger UI from our own files.
 *
 * #swagger-ui carries data-openapi-url. This is a file, not an inline script, because the
 * pages' Content-Security-Policy runs scripts from this site's /static only.
 */
(function () {
  "use strict";

  var node = document.getElementById("swagger-ui");
  if (!node || typeof window.SwaggerUIBundle !== "function") return;
  var bundle = window.SwaggerUIBundle;
  window.ui = bundle({
    url: node.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    docExpansion: "none",  // 140+ operations: the tags are listed, each opens on a click
    showExtensions: true,
    showCommonExtensions: true,
    presets: [bundle.presets.apis, bundle.SwaggerUIStandalonePreset]
  });
})();
