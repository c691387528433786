/* The menu (☰) and page-contents buttons, at every width.
 *
 * pydata-sphinx-theme and sphinx-book-theme both bind their click handlers to the *first*
 * `.primary-toggle` / `.secondary-toggle` on the page: the navbar's button, which the book theme
 * hides. The buttons a reader sees are the book theme's header buttons, so nothing opened on a
 * phone and ☰ did not collapse the sidebar on a desktop. Each visible button hands its click to
 * the first one, whose handlers do the theme's work: on narrow screens open the sidebar as a
 * dialog, on wide screens (book theme, ≥ 992 px) show or hide the primary sidebar.
 */
(function () {
  "use strict";
  function wire(selector, expanded) {
    var buttons = Array.prototype.slice.call(document.querySelectorAll(selector));
    if (buttons.length < 2) { return; }
    var bound = buttons[0];
    buttons.slice(1).forEach(function (button) {
      button.setAttribute("aria-haspopup", "dialog");
      if (expanded) { button.setAttribute("aria-expanded", String(expanded())); }
      button.addEventListener("click", function (event) {
        event.preventDefault();
        event.stopPropagation();
        bound.click();
        if (expanded) { button.setAttribute("aria-expanded", String(expanded())); }
      });
    });
  }
  function sidebarShown() {
    var sidebar = document.getElementById("pst-primary-sidebar");
    var dialog = document.getElementById("pst-primary-sidebar-modal");
    if (dialog && dialog.open) { return true; }
    if (!sidebar || !window.matchMedia("(min-width: 992px)").matches) { return false; }
    return !sidebar.classList.contains("pst-sidebar-hidden");
  }
  function start() {
    wire(".primary-toggle", sidebarShown);
    wire(".secondary-toggle", null);
    var dialog = document.getElementById("pst-primary-sidebar-modal");
    if (dialog) {
      dialog.addEventListener("close", function () {
        document.querySelectorAll(".primary-toggle").forEach(function (b, i) {
          if (i > 0) { b.setAttribute("aria-expanded", String(sidebarShown())); }
        });
      });
    }
  }
  /* The themes bind their handlers on DOMContentLoaded too; this script is deferred and loads
   * after theirs, so its listener runs after their handlers are in place. */
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
