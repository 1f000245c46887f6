/* The colour theme: "auto" follows the system (prefers-color-scheme), "light" or "night" is the person's choice,
 * kept in localStorage. Loaded synchronously in <head> (not deferred) so data-theme is on <html> before the first
 * paint: no white flash at night. The switch is any [data-theme-choice] button (the footer has three). */
(function () {
  "use strict";
  var KEY = "unclench-theme";
  var root = document.documentElement;

  function stored() {
    try {
      var value = window.localStorage.getItem(KEY);
      return value === "light" || value === "night" ? value : "auto";
    } catch (e) {
      return "auto"; // storage blocked: follow the system
    }
  }

  function apply(choice) {
    if (choice === "auto") root.removeAttribute("data-theme");
    else root.setAttribute("data-theme", choice);
    var buttons = document.querySelectorAll("[data-theme-choice]");
    for (var i = 0; i < buttons.length; i++) {
      var pressed = buttons[i].getAttribute("data-theme-choice") === choice;
      buttons[i].setAttribute("aria-pressed", pressed ? "true" : "false");
    }
  }

  apply(stored());

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-theme-choice]") : null;
    if (!button) return;
    var choice = button.getAttribute("data-theme-choice");
    try {
      if (choice === "auto") window.localStorage.removeItem(KEY);
      else window.localStorage.setItem(KEY, choice);
    } catch (e) { /* not remembered, still applied to this page */ }
    apply(choice);
  });
  document.addEventListener("DOMContentLoaded", function () { apply(stored()); });
  // Another tab changed it.
  window.addEventListener("storage", function (event) { if (event.key === KEY) apply(stored()); });
})();
