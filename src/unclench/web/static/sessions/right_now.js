// "Right now" on home: one press plays a ready-made session at once; the listen goes into the listening log.
// Delegated from the document, so buttons that htmx swaps in later (once the sessions are made) work as well.
(function () {
  "use strict";
  let playing = null; // { button, audio, label, total, counter, lastSent, listen }

  const fmt = window.unclenchListen.fmt;
  const api = window.unclenchListen.api;

  function say(text) {
    const status = document.getElementById("right-now-status");
    if (status) status.textContent = text;
  }

  function save(extra) {
    const p = playing;
    if (!p || !p.listen) return Promise.resolve();
    const heard = p.counter.heard();
    p.lastSent = heard;
    const body = Object.assign({ heard_s: Math.min(heard, p.total || heard), position_s: p.audio.currentTime }, extra || {});
    return p.listen.then(function (id) { return api("PATCH", "/api/sessions/listens/" + id, body); }).catch(function () {});
  }

  function stop(finished) {
    const p = playing;
    if (!p) return;
    p.counter.tick(); // up to the moment it stops
    p.audio.pause();
    save(finished ? { finished: true } : undefined);
    p.button.setAttribute("aria-pressed", "false");
    p.button.textContent = p.label;
    playing = null;
  }

  function start(button) {
    const minutes = button.dataset.rightNow;
    const audio = document.getElementById("right-now-audio-" + minutes);
    if (!audio) return;
    const p = {
      button: button,
      audio: audio,
      label: button.textContent,
      total: parseFloat(button.dataset.duration) || 0,
      counter: window.unclenchListen.heardCounter(audio),
      lastSent: 0,
      listen: null,
    };
    playing = p;
    audio.currentTime = 0;
    p.counter.mark();
    // Play first: the sound must not wait for the log.
    audio.play().catch(function () { say("Press the button again to play."); });
    p.listen = api("POST", "/api/sessions/" + button.dataset.session + "/listens", {}).then(function (l) { return l.id; });
    button.setAttribute("aria-pressed", "true");
    button.textContent = "Stop";
    say(p.label + ": playing. Sit or lie comfortably; never while driving.");
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-right-now]");
    if (!button) return;
    const same = playing && playing.button === button;
    stop(false);
    if (!same) start(button);
    else say("Stopped. Press again whenever you like.");
  });

  document.addEventListener("timeupdate", function (event) {
    const p = playing;
    if (!p || event.target !== p.audio) return;
    const t = p.audio.currentTime;
    p.counter.tick(); // only time actually played counts
    say(p.label + ": " + fmt(t) + " / " + fmt(p.total || p.audio.duration || 0));
    if (p.counter.heard() - p.lastSent > 15) save();
  }, true);

  document.addEventListener("seeking", function (event) {
    if (playing && event.target === playing.audio) playing.counter.mark(); // a jump is not listening
  }, true);

  document.addEventListener("ended", function (event) {
    if (playing && event.target === playing.audio) {
      stop(true);
      say("Done. Well done for taking these minutes.");
    }
  }, true);

  // While one plays, the card stops polling (a swap would take the playing <audio> away); the next poll after it
  // ends brings the other button.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (playing && event.target && event.target.id === "right-now") event.preventDefault();
  });

  window.addEventListener("pagehide", function () { save(); });
})();
