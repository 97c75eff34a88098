/* Print pages: the toolbar's print button (no inline script under the CSP). */
(function () {
  "use strict";
  document.addEventListener("click", function (evt) {
    var t = evt.target.closest && evt.target.closest("[data-print]");
    if (t) {
      evt.preventDefault();
      window.print();
    }
  });
})();
