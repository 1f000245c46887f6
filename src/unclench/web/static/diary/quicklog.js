// Quick log on the home page: pick a place (body map or a recent choice), a kind, then Save.
// Save stays focusable but looks and reads as unavailable (aria-disabled) until a place is chosen; pressing it
// early says what is missing. The server validates again.
(function () {
  "use strict";
  const form = document.getElementById("quick-form");
  if (!form) return;
  const regionInput = document.getElementById("quick-region");
  const where = document.getElementById("quick-where");
  const save = document.getElementById("quick-save");
  const more = document.getElementById("quick-more");

  function choose(region, side, label, kind) {
    regionInput.value = region + ":" + side;
    where.textContent = "Where: " + label;
    where.classList.add("chosen");
    more.href = "/episodes/new?region=" + encodeURIComponent(region) + "&side=" + encodeURIComponent(side) + (kind ? "&kind=" + kind : "");
    if (kind) {
      const radio = form.querySelector('input[name="kind"][value="' + kind + '"]');
      if (radio) radio.checked = true;
    }
    save.setAttribute("aria-disabled", "false");
    const firstKind = form.querySelector('input[name="kind"]:checked') || form.querySelector('input[name="kind"]');
    if (firstKind && !kind) firstKind.focus({ preventScroll: true });
    if (window.matchMedia("(max-width: 800px)").matches) form.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  document.addEventListener("region-selected", function (event) {
    event.preventDefault();
    const d = event.detail;
    choose(d.region, d.side, d.label, "");
  });
  document.querySelectorAll(".recent-choice").forEach(function (button) {
    button.addEventListener("click", function () {
      choose(button.dataset.region, button.dataset.side, button.dataset.label, button.dataset.kind);
    });
  });
  form.addEventListener("submit", function (event) {
    if (!regionInput.value) {
      event.preventDefault();
      where.textContent = "Please tap a place on the body first.";
      return;
    }
    if (!form.querySelector('input[name="kind"]:checked')) {
      event.preventDefault();
      where.textContent = "Please choose what kind it was.";
    }
  });
})();
