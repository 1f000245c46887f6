// Every page's own behaviour, kept out of the HTML so the Content-Security-Policy can refuse inline script:
// the CSRF token on the page's own requests (htmx and fetch), and the small form helpers the templates name
// with data- attributes (data-autosubmit, data-output, data-confirm).
(function () {
  "use strict";
  const meta = document.querySelector('meta[name="csrf-token"]');
  const token = meta ? meta.content : "";

  function sameOrigin(url) {
    try {
      return new URL(url, location.href).origin === location.origin;
    } catch (e) {
      return false;
    }
  }

  // htmx: every request it makes to this app carries the token as a header.
  document.addEventListener("htmx:configRequest", function (e) {
    if (sameOrigin(e.detail.path)) e.detail.headers["X-CSRF-Token"] = token;
  });

  // fetch: the app's own scripts (the session player's listening log) send the token too; other sites never get it.
  const originalFetch = window.fetch;
  window.fetch = function (input, init) {
    const url = input instanceof Request ? input.url : String(input);
    if (!sameOrigin(url)) return originalFetch.call(this, input, init);
    const options = Object.assign({}, init || {});
    const headers = new Headers(options.headers || (input instanceof Request ? input.headers : undefined));
    if (!headers.has("X-CSRF-Token")) headers.set("X-CSRF-Token", token);
    options.headers = headers;
    return originalFetch.call(this, input, options);
  };

  // <select data-autosubmit>: choosing submits its form (as the "Show" button would).
  document.addEventListener("change", function (e) {
    const field = e.target;
    if (field.matches && field.matches("[data-autosubmit]") && field.form) field.form.requestSubmit();
  });

  // <input type="range" data-output="id|next">: show the value in that <output> (or the next element) as it moves.
  document.addEventListener("input", function (e) {
    const field = e.target;
    const target = field.dataset ? field.dataset.output : undefined;
    if (!target) return;
    const out = target === "next" ? field.nextElementSibling : document.getElementById(target);
    if (out) out.value = field.value;
  });

  // <form data-confirm="question">: ask before submitting (deleting, for instance).
  document.addEventListener("submit", function (e) {
    const question = e.target.dataset ? e.target.dataset.confirm : undefined;
    if (question && !window.confirm(question)) e.preventDefault();
  });
})();
