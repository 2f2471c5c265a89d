/* 双千双师交流计划管理系统: the print view's one behaviour — [data-print] opens the print dialog.
   (No inline script: the CSP forbids it.) */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var el = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (el) { event.preventDefault(); window.print(); }
  });
})();
