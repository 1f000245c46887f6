// Session player + EMG: while the session plays, a sensor records; the recording is saved and tied to the listen.
// The player (sessions/player.js) puts the listen's id on #player as data-listen; this file only watches it.
// The WebSocket gets {"mark": "session at P"} the first time position P of the session plays (the alignment),
// and {"stop": true, "save": true, "listen": id} when the session ends or the person is done.
(function () {
  "use strict";
  let ws = null, demo = false, marked = false, connected = false;

  function $(id) { return document.getElementById(id); }
  function say(text) { const s = $("emg-status"); if (s) s.textContent = text; }

  function connect() {
    const form = $("emg-record-form"), box = $("player"), audio = $("audio");
    if (!form || !box || ws) return;
    const q = new URLSearchParams();
    const file = form.elements.file.value.trim();
    q.set("board", file ? "playback" : form.elements.board.value);
    if (file) { q.set("file", file); q.set("master_board", "callibri_emg"); }
    if (form.elements.serial_port.value.trim()) q.set("serial_port", form.elements.serial_port.value.trim());
    q.set("calibration", "10");
    q.set("minutes", String(Math.ceil(parseFloat(box.dataset.duration || "600") / 60) + 10));
    q.set("csrf_token", form.elements.csrf_token.value);
    const proto = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(proto + "://" + location.host + "/emg/ws/live?" + q);
    say("Connecting…");
    ws.onmessage = function (event) {
      const msg = JSON.parse(event.data);
      if (msg.error) { say(msg.error); ws = null; return; }
      if (msg.ready) {
        connected = true; demo = !msg.savable;
        say(demo ? "Connected to the demo signal: it is shown, never saved." : "Connected. Keep still for 10 s of calm, then press Play.");
        $("emg-connect").textContent = "Stop recording";
        if (!audio.paused) markSession(audio.currentTime);
        return;
      }
      if (msg.phase === "calibrating") { say("Calibrating: " + Math.ceil(msg.calibration_left_s) + " s of calm left."); return; }
      if (msg.phase === "live" && !marked) { say("Recording. Press Play when you are ready."); return; }
      if (msg.saved) {
        const link = "/emg/listens/" + (msg.listen || "");
        say(msg.listen ? "Saved and tied to this listen." : "Saved" + (msg.tie_problem ? ", but not tied to the listen: " + msg.tie_problem : "."));
        if (msg.listen) {
          const a = document.createElement("a"); a.href = link; a.textContent = " See your tone per part of the session.";
          $("emg-status").appendChild(a);
        }
      } else if (msg.done) {
        say(msg.not_saved || "Stopped; nothing was saved.");
      }
    };
    ws.onclose = function () { ws = null; connected = false; marked = false; const b = $("emg-connect"); if (b) b.textContent = "Connect the sensor"; };
  }

  function markSession(position) {
    if (!ws || ws.readyState !== 1 || marked) return;
    ws.send(JSON.stringify({ mark: "session at " + position.toFixed(3) }));
    marked = true;
    say(demo ? "Playing with the demo signal (not saved)." : "Recording while the session plays.");
  }

  function stop() {
    if (!ws || ws.readyState !== 1) return;
    const box = $("player");
    ws.send(JSON.stringify({ stop: true, save: !demo, listen: box && box.dataset.listen ? box.dataset.listen : null }));
    say("Saving…");
  }

  document.addEventListener("click", function (event) {
    const target = event.target;
    if (!(target instanceof Element)) return;
    if (target.id === "emg-connect") { if (ws) stop(); else connect(); }
    if (target.id === "done") stop();
  });
  const audio = $("audio");
  if (audio) {
    audio.addEventListener("playing", function () { if (connected) markSession(audio.currentTime); });
    audio.addEventListener("ended", stop);
  }
})();
