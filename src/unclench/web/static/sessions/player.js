// Session player: play/pause/seek, chapters, transcript following along, listen log with tension before/after.
(function () {
  "use strict";
  const box = document.getElementById("player");
  if (!box) return;
  const sessionId = box.dataset.session;
  const audio = document.getElementById("audio");
  const play = document.getElementById("play");
  const seek = document.getElementById("seek");
  const clock = document.getElementById("clock");
  const cues = Array.from(document.querySelectorAll("#transcript li"));
  const total = parseFloat(box.dataset.duration);
  const counter = window.unclenchListen.heardCounter(audio);
  let lastSent = 0;
  let current = null;

  const fmt = window.unclenchListen.fmt;

  const log = window.unclenchListen.listenLog(sessionId, box);
  const startListen = log.start;

  function save(extra) {
    lastSent = counter.heard();
    return log.save(Object.assign({ heard_s: Math.min(counter.heard(), total), position_s: audio.currentTime }, extra || {}));
  }

  function begin(before) {
    document.getElementById("before").hidden = true;
    startListen(before);
    audio.play().catch(function () { /* the person can press Play */ });
  }

  document.querySelectorAll("[data-before]").forEach(function (button) {
    button.addEventListener("click", function () {
      button.setAttribute("aria-pressed", "true");
      begin(parseInt(button.dataset.before, 10));
    });
  });
  document.getElementById("skip-before").addEventListener("click", function () { begin(null); });

  play.addEventListener("click", function () {
    if (audio.paused) {
      startListen(null);
      audio.play();
    } else {
      audio.pause();
    }
  });
  audio.addEventListener("play", function () { play.textContent = "Pause"; play.setAttribute("aria-label", "Pause"); });
  audio.addEventListener("pause", function () { play.textContent = "Play"; play.setAttribute("aria-label", "Play"); save(); });
  audio.addEventListener("seeking", counter.mark); // a jump is not listening

  seek.addEventListener("input", function () { audio.currentTime = parseFloat(seek.value); counter.mark(); });
  document.querySelectorAll("[data-seek]").forEach(function (button) {
    button.addEventListener("click", function () {
      audio.currentTime = parseFloat(button.dataset.seek);
      counter.mark();
      if (audio.paused) { startListen(null); audio.play(); }
    });
  });

  audio.addEventListener("timeupdate", function () {
    const t = audio.currentTime;
    counter.tick(); // only time actually played counts
    seek.value = t;
    clock.textContent = fmt(t) + " / " + fmt(total);
    let active = null;
    for (const li of cues) {
      if (t >= parseFloat(li.dataset.start) && t < parseFloat(li.dataset.end) + 1.0) { active = li; }
      if (parseFloat(li.dataset.start) > t) break;
    }
    if (active !== current) {
      if (current) current.removeAttribute("aria-current");
      if (active) {
        active.setAttribute("aria-current", "true");
        const list = active.parentElement;
        list.scrollTop = active.offsetTop - list.offsetTop - list.clientHeight / 3;
      }
      current = active;
    }
    if (counter.heard() - lastSent > 15) save();
  });

  function finish() {
    audio.pause();
    document.getElementById("after").hidden = false;
    document.getElementById("done").hidden = true;
    save({ finished: true });
  }
  audio.addEventListener("ended", finish);
  document.getElementById("done").addEventListener("click", function () { startListen(null); finish(); });

  document.querySelectorAll("[data-after]").forEach(function (button) {
    button.addEventListener("click", function () {
      button.setAttribute("aria-pressed", "true");
      startListen(null);
      save({ finished: true, tension_after: parseInt(button.dataset.after, 10) }).then(function () {
        document.getElementById("after").hidden = true;
        document.getElementById("thanks").hidden = false;
      });
    });
  });
  window.addEventListener("pagehide", function () { save(); });
})();
