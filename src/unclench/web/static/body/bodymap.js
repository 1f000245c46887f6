/* Body map behaviour (no dependencies).
 *
 * Click, Enter or Space on a region shape:
 *   - marks it selected (class "is-selected", aria-pressed="true"),
 *   - dispatches from the .bodymap element:
 *       new CustomEvent('region-selected', {bubbles: true, cancelable: true,
 *                                           detail: {region, side, label}})
 *   - if no listener called preventDefault(), goes to the map's data-new-url with region=<id>&side=<side>
 *       added (default /episodes/new; the insights map filters its own page instead).
 * Keyboard: the map is one Tab stop (roving tabindex); the arrow keys move to the nearest shape in that
 * direction (across the front and back figures when both show), Home/End to the first/last.
 * Phone: a tap on a shape drawn smaller than 44×44 px (WCAG 2.5.5) zooms in on it instead of choosing it;
 * in the zoomed view every shape is big enough, and "Show the whole body" (or Escape) zooms out.
 * The Front/Back buttons switch the figure shown when the map is narrow.
 */
(function () {
  "use strict";

  var TARGET = 44; // px: the smallest shape a tap may choose on a narrow map
  var ZOOM_MARGIN = 1.25; // zoom so the tapped shape is comfortably bigger than TARGET

  function regionFrom(target) {
    return target && target.closest ? target.closest(".bodymap .region") : null;
  }

  function shapesOf(map) {
    return Array.prototype.slice.call(map.querySelectorAll(".region"));
  }

  function visible(shape) {
    var r = shape.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
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
    rove(shape);
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

  // Roving tabindex: exactly one shape of the map is in the Tab order.
  function rove(shape) {
    var map = shape.closest(".bodymap");
    shapesOf(map).forEach(function (el) { el.setAttribute("tabindex", el === shape ? "0" : "-1"); });
  }

  function centre(rect) {
    return { x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 };
  }

  // The nearest visible shape whose centre lies in the direction (dx, dy) from this one; sideways distance
  // counts double, so Down from the knee finds the shin rather than the other knee.
  function neighbour(shape, dx, dy) {
    var from = centre(shape.getBoundingClientRect());
    var best = null, bestScore = Infinity;
    shapesOf(shape.closest(".bodymap")).forEach(function (el) {
      if (el === shape || !visible(el)) return;
      var to = centre(el.getBoundingClientRect());
      var along = (to.x - from.x) * dx + (to.y - from.y) * dy;
      if (along <= 1) return;
      var across = Math.abs((to.x - from.x) * dy - (to.y - from.y) * dx);
      var score = along + 2 * across;
      if (score < bestScore) { bestScore = score; best = el; }
    });
    return best;
  }

  function moveFocus(shape, next) {
    if (!next) return;
    rove(next);
    next.focus();
  }

  function show(map, view) {
    unzoom(map);
    map.setAttribute("data-view", view);
    map.querySelectorAll(".bodymap-toggle button").forEach(function (button) {
      button.setAttribute("aria-pressed", button.getAttribute("data-show") === view ? "true" : "false");
    });
    // Keep the Tab stop on a figure that is shown.
    var stop = map.querySelector('.region[tabindex="0"]');
    if (stop && !visible(stop)) {
      var first = shapesOf(map).filter(visible)[0];
      if (first) rove(first);
    }
  }

  // ----- Zoom (narrow maps only) -----
  function narrow(map) {
    return map.getBoundingClientRect().width < 480;
  }

  function viewBoxOf(svg) {
    return svg.getAttribute("viewBox").split(/[\s,]+/).map(Number);
  }

  // The zoomed figure takes the map's full width (a box a little taller than wide) and shows the tapped part
  // at a scale where its smaller side is TARGET * ZOOM_MARGIN px, but never less than ZOOM_MIN_UNITS across,
  // so both eyes stay in view when an eyelid was tapped.
  var ZOOM_MIN_UNITS = 28;
  function zoomTo(shape) {
    var svg = shape.ownerSVGElement, map = shape.closest(".bodymap");
    if (!svg.hasAttribute("data-full-view")) svg.setAttribute("data-full-view", svg.getAttribute("viewBox"));
    var full = svg.getAttribute("data-full-view").split(/[\s,]+/).map(Number);
    var box = shape.getBBox();
    var width = map.querySelector(".bodymap-views").clientWidth;
    var height = Math.min(width * 1.25, window.innerHeight * 0.7);
    var scale = (TARGET * ZOOM_MARGIN) / Math.min(box.width, box.height); // px per drawing unit
    scale = Math.min(scale, width / ZOOM_MIN_UNITS);
    var w = width / scale, h = height / scale;
    var cx = box.x + box.width / 2, mid = full[0] + full[2] / 2;
    // Near the midline, centre on it: both eyes, both sides of the jaw or neck stay in view.
    if (box.x >= mid - w / 2 && box.x + box.width <= mid + w / 2) cx = mid;
    var x = cx - w / 2, y = box.y + box.height / 2 - h / 2;
    if (w < full[2]) x = Math.min(Math.max(x, full[0]), full[0] + full[2] - w);
    if (h < full[3]) y = Math.min(Math.max(y, full[1]), full[1] + full[3] - h);
    svg.classList.add("is-zoomed");
    svg.style.height = height.toFixed(0) + "px"; // CSSOM, allowed under the strict style-src
    svg.setAttribute("viewBox", [x, y, w, h].map(function (v) { return v.toFixed(2); }).join(" "));
    map.classList.add("bodymap--zoomed");
    var bar = map.querySelector(".bodymap-zoombar");
    if (bar) bar.hidden = false;
    var line = map.querySelector(".bodymap-hint");
    if (line) line.setAttribute("data-idle", "Zoomed in: now tap the exact place.");
    hint(shape, false);
    drawRing(map);
  }

  function unzoom(map) {
    map.querySelectorAll("svg[data-full-view]").forEach(function (svg) {
      svg.setAttribute("viewBox", svg.getAttribute("data-full-view"));
      svg.classList.remove("is-zoomed");
      svg.style.height = "";
    });
    map.classList.remove("bodymap--zoomed");
    var bar = map.querySelector(".bodymap-zoombar");
    if (bar) bar.hidden = true;
    var line = map.querySelector(".bodymap-hint");
    if (line && line.hasAttribute("data-hint")) line.setAttribute("data-idle", line.getAttribute("data-hint"));
    if (line) line.textContent = line.getAttribute("data-idle");
    drawRing(map);
  }

  function tooSmall(shape) {
    var rect = shape.getBoundingClientRect();
    return rect.width < TARGET || rect.height < TARGET;
  }

  // ----- Focus ring: two strokes (dark and light) drawn over all shapes, so it shows on every shade -----
  function drawRing(map) {
    map.querySelectorAll(".bodymap-ring").forEach(function (ring) {
      var svg = ring.ownerSVGElement;
      var focused = document.activeElement;
      var on = focused && focused.ownerSVGElement === svg && focused.classList.contains("region") &&
        focused.matches(":focus-visible");
      ring.querySelectorAll("path").forEach(function (path) {
        if (on) path.setAttribute("d", focused.getAttribute("d"));
        else path.removeAttribute("d");
      });
    });
  }

  function init(root) {
    var maps = [];
    if (root.matches && root.matches(".bodymap")) maps.push(root);
    if (root.querySelectorAll) maps = maps.concat(Array.prototype.slice.call(root.querySelectorAll(".bodymap")));
    maps.forEach(function (map) {
      map.classList.add("bodymap--js");
      var line = map.querySelector(".bodymap-hint");
      if (line && !line.hasAttribute("data-hint")) line.setAttribute("data-hint", line.getAttribute("data-idle"));
    });
  }

  document.addEventListener("click", function (event) {
    var shape = regionFrom(event.target);
    if (shape) {
      event.preventDefault();
      var map = shape.closest(".bodymap");
      if (narrow(map) && tooSmall(shape)) zoomTo(shape);
      else select(shape);
      return;
    }
    var button = event.target.closest ? event.target.closest(".bodymap-toggle button[data-show]") : null;
    if (button) { show(button.closest(".bodymap"), button.getAttribute("data-show")); return; }
    var back = event.target.closest ? event.target.closest(".bodymap-unzoom") : null;
    if (back) unzoom(back.closest(".bodymap"));
  });

  var ARROWS = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };

  document.addEventListener("keydown", function (event) {
    var shape = regionFrom(event.target);
    if (!shape) {
      if (event.key === "Escape" && event.target.closest) {
        var map = event.target.closest(".bodymap--zoomed");
        if (map) unzoom(map);
      }
      return;
    }
    if (event.key === "Enter" || event.key === " " || event.key === "Spacebar") {
      event.preventDefault(); // Space would scroll the page
      select(shape);
    } else if (ARROWS[event.key]) {
      event.preventDefault();
      moveFocus(shape, neighbour(shape, ARROWS[event.key][0], ARROWS[event.key][1]));
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      var shown = shapesOf(shape.closest(".bodymap")).filter(visible);
      moveFocus(shape, event.key === "Home" ? shown[0] : shown[shown.length - 1]);
    } else if (event.key === "Escape") {
      unzoom(shape.closest(".bodymap"));
    }
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
      if (type === "focusin" && shape) drawRing(shape.closest(".bodymap"));
    });
  });
  ["pointerout", "focusout"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var shape = regionFrom(event.target);
      if (shape) hint(shape, false);
      if (type === "focusout" && shape) {
        var map = shape.closest(".bodymap");
        window.setTimeout(function () { drawRing(map); }, 0);
      }
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
