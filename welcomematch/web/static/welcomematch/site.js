// The site's frame on small screens (loaded by base.html on every page; no inline script).
//
// 1. The main navigation folds behind a "Menu" button on a phone (CSS decides the width;
//    without this script the navigation simply stays open).
// 2. Every data table scrolls inside its own box instead of widening the page: a bare
//    table.data is wrapped in a div.table-scroll, and a box that actually scrolls becomes a
//    named, focusable region so keyboard users can scroll it too (WCAG 2.1.1; axe's
//    "scrollable-region-focusable"). A box that fits takes no tab stop.
(function () {
  "use strict";

  function setUpMenu() {
    var header = document.querySelector(".site-header");
    var toggle = document.querySelector(".nav-toggle");
    if (!header || !toggle) return;
    header.classList.add("nav-collapsible");
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      header.classList.toggle("nav-open", open);
    });
  }

  var counter = 0;

  function labelFor(table) {
    // The table's caption, else the heading of its section, else the page's heading, else a
    // generic word.
    var caption = table.querySelector("caption");
    var section = table.closest("section, article");
    var heading = section && section.querySelector("h2, h3");
    var source = caption || heading || document.querySelector("main h1");
    if (source) {
      if (!source.id) source.id = "table-label-" + ++counter;
      return { labelledby: source.id };
    }
    var main = document.querySelector("main");
    return { label: (main && main.getAttribute("data-table-label")) || "Table" };
  }

  function wrapTables() {
    var tables = document.querySelectorAll("main table.data");
    Array.prototype.forEach.call(tables, function (table) {
      var parent = table.parentElement;
      if (parent.classList.contains("table-scroll")) return;
      var box = document.createElement("div");
      box.className = "table-scroll";
      parent.insertBefore(box, table);
      box.appendChild(table);
    });
  }

  function updateBoxes() {
    var boxes = document.querySelectorAll(".table-scroll");
    Array.prototype.forEach.call(boxes, function (box) {
      if (!box.hasAttribute("data-scroll-managed")) {
        if (box.hasAttribute("tabindex")) return; // a template made it a region itself
        box.setAttribute("data-scroll-managed", "");
      }
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls) {
        var table = box.querySelector("table");
        var name = table ? labelFor(table) : { label: "" };
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        if (name.labelledby) box.setAttribute("aria-labelledby", name.labelledby);
        else box.setAttribute("aria-label", name.label);
      } else {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-labelledby");
        box.removeAttribute("aria-label");
      }
    });
  }

  function start() {
    setUpMenu();
    wrapTables();
    updateBoxes();
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) window.cancelAnimationFrame(pending);
      pending = window.requestAnimationFrame(updateBoxes);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
