/* Body map behaviour (no dependencies).
 *
 * Click, Enter or Space on a region shape:
 *   - marks it selected (class "is-selected", aria-pressed="true"),
 *   - dispatches from the .bodymap element:
 *       new CustomEvent('region-selected', {bubbles: true, cancelable: true,
 *                                           detail: {region, side, label}})
 *   - if no listener called preventDefault(), goes to the map's data-new-url with region=<id>&side=<side>
 *       added (default /episodes/new; the insights map filters its own page instead).
 * The Front/Back buttons switch the figure shown when the map is narrow.
 */
(function () {
  "use strict";

  function regionFrom(target) {
    return target && target.closest ? target.closest(".bodymap .region") : null;
  }

  function select(shape) {
    var map = shape.closest(".bodymap");
    if (!map) return;
    map.querySelectorAll(".region.is-selected").forEach(function (el) {
      el.classList.remove("is-selected");
      el.setAttribute("aria-pressed", "false");
    });
    shape.classList.add("is-selected");
    shape.setAttribute("aria-pressed", "true");
    var detail = {
      region: shape.getAttribute("data-region"),
      side: shape.getAttribute("data-side"),
      label: shape.getAttribute("data-label")
    };
    var event = new CustomEvent("region-selected", { bubbles: true, cancelable: true, detail: detail });
    if (map.dispatchEvent(event)) {
      var base = map.getAttribute("data-new-url") || "/episodes/new";
      window.location.assign(base + (base.indexOf("?") < 0 ? "?" : "&") + "region=" + encodeURIComponent(detail.region) +
        "&side=" + encodeURIComponent(detail.side));
    }
  }

  function show(map, view) {
    map.setAttribute("data-view", view);
    map.querySelectorAll(".bodymap-toggle button").forEach(function (button) {
      button.setAttribute("aria-pressed", button.getAttribute("data-show") === view ? "true" : "false");
    });
  }

  function init(root) {
    var maps = [];
    if (root.matches && root.matches(".bodymap")) maps.push(root);
    if (root.querySelectorAll) maps = maps.concat(Array.prototype.slice.call(root.querySelectorAll(".bodymap")));
    maps.forEach(function (map) { map.classList.add("bodymap--js"); });
  }

  document.addEventListener("click", function (event) {
    var shape = regionFrom(event.target);
    if (shape) {
      event.preventDefault();
      select(shape);
      return;
    }
    var button = event.target.closest ? event.target.closest(".bodymap-toggle button[data-show]") : null;
    if (button) show(button.closest(".bodymap"), button.getAttribute("data-show"));
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" && event.key !== " " && event.key !== "Spacebar") return;
    var shape = regionFrom(event.target);
    if (!shape) return;
    event.preventDefault(); // Space would scroll the page
    select(shape);
  });

  // The hint line under the figures names what the pointer or keyboard focus is on.
  function hint(shape, on) {
    var map = shape.closest(".bodymap");
    var line = map && map.querySelector(".bodymap-hint");
    if (!line) return;
    line.textContent = on ? shape.getAttribute("aria-label") : line.getAttribute("data-idle");
    line.classList.toggle("is-active", on);
  }
  ["pointerover", "focusin"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var shape = regionFrom(event.target);
      if (shape) hint(shape, true);
    });
  });
  ["pointerout", "focusout"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var shape = regionFrom(event.target);
      if (shape) hint(shape, false);
    });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  // Maps swapped in later by htmx.
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();
