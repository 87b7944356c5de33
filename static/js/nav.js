// The header's menus are <details> disclosures and work without this script. It adds what a
// menu is expected to do: one open at a time, Escape closes it (focus back on its button), and a
// click or focus elsewhere closes it.
(function () {
  "use strict";
  var menus = Array.prototype.slice.call(document.querySelectorAll(".site-header details.menu"));
  function closeAll(except) {
    menus.forEach(function (menu) { if (menu !== except) menu.open = false; });
  }
  menus.forEach(function (menu) {
    menu.addEventListener("toggle", function () { if (menu.open) closeAll(menu); });
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest(".site-header details.menu")) closeAll(null);
  });
  document.addEventListener("focusin", function (event) {
    var inside = event.target.closest && event.target.closest(".site-header details.menu");
    closeAll(inside || null);
  });
})();
