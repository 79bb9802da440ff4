// Starts Swagger UI on /api/docs (a file, not an inline script, so the CSP needs no 'unsafe-inline').
// "Try it out" is off because calls must be signed (see the intro).
(function () {
  var el = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: el.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    supportedSubmitMethods: [],
    defaultModelsExpandDepth: 0,
    filter: false,
    validatorUrl: null
  });
})();
