/* Anju 安居 — small progressive enhancements. No dependencies; the site works without it. */
(function () {
  "use strict";

  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|;\\s*)" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }

  // 1. htmx: send Django's CSRF token with every non-GET request.
  document.addEventListener("htmx:configRequest", function (evt) {
    if (evt.detail.verb === "get") return;
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    var token = cookie("csrftoken") || (field && field.value);
    if (token) evt.detail.headers["X-CSRFToken"] = token;
  });

  // 2. [data-confirm]: ask before a button/link acts or a form submits.
  //    Capture phase, so a "no" also stops htmx (hx-post etc.) and boosted forms.
  function guard(evt, el) {
    if (el && !window.confirm(el.getAttribute("data-confirm"))) {
      evt.preventDefault();
      evt.stopImmediatePropagation();
    }
  }
  document.addEventListener("click", function (evt) {
    var t = evt.target.closest && evt.target.closest("a[data-confirm], button[data-confirm], input[data-confirm]");
    if (t) guard(evt, t);
  }, true);
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (form.matches("form[data-confirm]") && !(evt.submitter && evt.submitter.hasAttribute("data-confirm"))) {
      guard(evt, form);
    }
  }, true);

  // 3. Navigation <details class="nav-menu">: always open on wide screens,
  //    closed after choosing a link on phones.
  var wide = window.matchMedia("(min-width: 48em)");
  function syncMenus(root) {
    root = root && root.querySelectorAll ? root : document;
    root.querySelectorAll("details.nav-menu").forEach(function (d) { d.open = wide.matches; });
    // A list's filters (<details data-open-wide>): folded on phones, shown open on wide screens.
    if (wide.matches) root.querySelectorAll("details[data-open-wide]").forEach(function (d) { d.open = true; });
  }
  if (wide.addEventListener) wide.addEventListener("change", function () { syncMenus(); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { syncMenus(); });
  else syncMenus();
  // Content swapped in by htmx (e.g. hx-boost page loads) may bring a new menu.
  document.addEventListener("htmx:load", function (evt) { syncMenus(evt.target); });
  document.addEventListener("click", function (evt) {
    var link = evt.target.closest && evt.target.closest(".nav-menu a");
    if (link && !wide.matches) link.closest("details.nav-menu").open = false;
  });
})();
