// Adaptive session player (docs/ADAPTIVE.md): follows the decision graph with Web Audio. Each next clip is chosen
// a little before the current one ends and scheduled to start at its exact end, so a decision never leaves a gap.
// With a sensor, the live EMG WebSocket's tone frames decide at each point and move the background's level and
// brightness; without one, the linear "move on" path plays. The listen is logged as on the plain player.
(function () {
  "use strict";
  const box = document.getElementById("adaptive-player");
  if (!box) return;
  const $ = (id) => document.getElementById(id);
  const sessionId = box.dataset.session;
  const base = box.dataset.base;
  const total = parseFloat(box.dataset.duration);
  const fmt = window.unclenchListen.fmt;
  const api = window.unclenchListen.api;
  const play = $("play");
  const clock = $("clock");
  const statusLine = $("adaptive-status");
  const cues = Array.from(document.querySelectorAll("#transcript li"));

  const DECIDE_AHEAD_S = 0.75; // choose this long before a clip ends (the choice is decoded already)
  const FRESH_MS = 1000; // a tone frame older than this says nothing
  const RAMP_S = 0.3; // time constant of the continuous layer's ramps: smooth, no zipper noise
  const SOFTEST_DB = -9; // the background's level when the muscle has fully let go …
  const DARKEST_HZ = 700; // … and its lowpass cutoff then; tense: 0 dB and BRIGHTEST_HZ
  const BRIGHTEST_HZ = 12000;
  const SENSOR_PARAMS = ["board", "serial_port", "file", "master_board", "calibration", "baseline_s", "baseline"];

  const stats = { mode: "plain", frames: 0, decisions: [], played: [], late: 0, errors: [], lead: [], level: null };
  let graph = null;
  let ctx = null;
  let nodes = null;
  let t0 = 0;
  let tail = null; // the last clip scheduled: {id, kind, start, end, main, point, given}
  let current = null;
  let finished = false;
  let frame = null;
  let frameAt = 0;
  let live = false;
  let sensorWanted = false;
  let ws = null;
  let heard = 0;
  let lastTick = 0;
  let lastSent = 0;
  let currentCue = null;
  const buffers = new Map();
  const scheduled = []; // every clip scheduled so far, in order

  // --- the listening log (as the plain player keeps it) ---------------------------------------------------
  const log = window.unclenchListen.listenLog(sessionId, box);
  const startListen = log.start;

  function position() {
    if (!current || !ctx) return 0;
    if (current.kind === "main") {
      const clip = graph.clips[current.id];
      return Math.min(total, clip.start_s + Math.max(0, ctx.currentTime - current.start));
    }
    return current.point.at_s;
  }

  function save(extra) {
    lastSent = heard;
    return log.save(Object.assign({ heard_s: Math.min(heard, total), position_s: position() }, extra || {}));
  }

  function logDecision(point, choice, cueId, startsAt) {
    const entry = {
      point: point.id,
      region: sensorRegion(),
      choice: choice,
      cue_id: cueId,
      at_s: Math.round((startsAt - t0) * 1000) / 1000,
      tone_before: frame && frame.ratio !== undefined ? frame.ratio : null,
    };
    stats.decisions.push(entry);
    if (!live) return; // no sensor: nothing was decided, the linear path plays
    startListen(null).then(function (id) {
      return api("POST", "/api/listens/" + id + "/decisions", entry);
    }).catch(function (err) { stats.errors.push(String(err)); });
  }

  // --- the sensor ---------------------------------------------------------------------------------------
  function sensorRegion() { return $("sensor-region").value; }

  function covers(point, key) {
    const parts = key.split(":");
    const side = parts[1] || "both";
    if (point.regions.indexOf(parts[0]) < 0) return false;
    return side === point.side || ["both", "centre"].indexOf(side) >= 0 || ["both", "centre"].indexOf(point.side) >= 0;
  }

  function setStatus(text) { statusLine.textContent = text; }

  function onFrame(f) {
    if (!f || f.type !== "tone") return;
    stats.frames += 1;
    frame = f;
    frameAt = performance.now();
    live = true;
    stats.mode = stats.mode === "plain" ? "sensor" : stats.mode;
    $("tone-meter").hidden = false;
    const usable = f.quality === "good" && f.baseline_ready && typeof f.level === "number";
    if (!f.baseline_ready) setStatus("Measuring how your muscle rests… the session follows it after that.");
    else if (f.quality !== "good") setStatus("The signal is unclear just now: the session moves on without it.");
    else setStatus(f.state === "tense" ? "Following your muscle: it is still holding on a little." : "Following your muscle: it is letting go.");
    if (usable) $("tone-level").value = f.level;
    follow(usable ? f.level : null);
    tick(); // frames keep coming in a hidden tab, where timers slow down to once a second
  }

  // The continuous layer: softer and darker as the muscle lets go; as recorded (level null) without a usable signal.
  function follow(level) {
    stats.level = level;
    if (!nodes) return;
    const now = ctx.currentTime;
    const amount = level === null ? 1 : Math.max(0, Math.min(1, level));
    nodes.level.gain.setTargetAtTime(Math.pow(10, (SOFTEST_DB * (1 - amount)) / 20), now, RAMP_S);
    nodes.tone.frequency.setTargetAtTime(DARKEST_HZ * Math.pow(BRIGHTEST_HZ / DARKEST_HZ, amount), now, RAMP_S);
  }

  function connect() {
    const board = $("sensor-board").value;
    const page = new URLSearchParams(location.search);
    if (!board && !page.get("sensor_board")) return;
    sensorWanted = true;
    startListen(null).then(function (id) {
      const q = new URLSearchParams();
      const form = $("sensor");
      q.set("board", board);
      if (form.elements.serial_port.value) q.set("serial_port", form.elements.serial_port.value);
      if (form.elements.file.value) q.set("file", form.elements.file.value);
      for (const name of SENSOR_PARAMS) { // developer settings from the page's address (sensor_file=…)
        if (page.get("sensor_" + name)) q.set(name, page.get("sensor_" + name));
      }
      q.set("adaptive", "1");
      q.set("region", sensorRegion());
      q.set("listen", id);
      q.set("minutes", String(Math.ceil(total / 60) + 15));
      q.set("csrf_token", form.elements.csrf_token.value);
      const proto = location.protocol === "https:" ? "wss" : "ws";
      ws = new WebSocket(proto + "://" + location.host + "/emg/ws/live?" + q);
      ws.onopen = markSession;
      setStatus("Connecting to the sensor…");
      ws.onmessage = function (msg) {
        const f = JSON.parse(msg.data);
        if (f.error) { setStatus(f.error + " The session plays as recorded."); live = false; follow(null); return; }
        if (f.saved || f.done) { stored(f); return; }
        onFrame(f);
      };
      ws.onclose = function () {
        if (live && !finished) setStatus("The sensor stopped: the session plays on as recorded.");
        live = false;
        follow(null);
      };
    });
  }

  // The recording is aligned with the listen by one mark: "session at P" at the moment position P of the listen
  // plays (negative just before the first clip starts), sent once both the stream and the audio are under way.
  let marked = false;
  function markSession() {
    if (marked || !ws || ws.readyState !== 1 || !ctx || !graph) return;
    ws.send(JSON.stringify({ mark: "session at " + (ctx.currentTime - t0).toFixed(3) }));
    marked = true;
  }

  // At the end the sensor's recording is kept with this listen (a demo never is); bursts in it are offered as
  // diary episodes on the recording's page, never logged silently.
  function stopSensor() {
    if (ws && ws.readyState === 1) ws.send(JSON.stringify({ stop: true, save: true }));
  }

  function stored(f) {
    live = false;
    if (!f.saved) setStatus("The sensor stopped.");
    else if (f.tie_problem) setStatus("The sensor's recording was saved, but not with this listen: " + f.tie_problem);
    else setStatus("The sensor's recording was saved with this listen.");
    if (f.episodes_offer) {
      const link = document.createElement("a");
      link.href = f.episodes_offer;
      link.textContent = " See the recording: " + (f.bursts || "its") + " bursts can be added to your diary.";
      statusLine.appendChild(link);
    }
  }

  // --- the graph and its clips ----------------------------------------------------------------------------
  function load(id) {
    if (!buffers.has(id)) {
      const url = base + graph.clips[id].file;
      buffers.set(id, fetch(url).then(function (r) {
        if (!r.ok) throw new Error("clip " + id + ": " + r.status);
        return r.arrayBuffer();
      }).then(function (data) { return ctx.decodeAudioData(data); }));
    }
    return buffers.get(id);
  }

  function prefetch(mainIndex) {
    const next = graph.main[mainIndex + 1];
    if (next) load(next);
    const point = graph.points[mainIndex];
    if (point) { point.cues.forEach(load); load(point.silence); }
  }

  // What follows the clip just scheduled: the decision rule of docs/ADAPTIVE.md.
  function choose(last) {
    if (last.kind === "silence") return { id: last.point.next, kind: "main", main: last.point.mainAfter };
    let point = last.point;
    let given = last.given || 0;
    if (last.kind === "main") {
      point = graph.points[last.main];
      given = 0;
      if (!point) return null; // the last clip: the session ends
    }
    const startsAt = last.end;
    const fresh = frame && performance.now() - frameAt < FRESH_MS;
    const usable = live && fresh && frame.quality === "good" && frame.baseline_ready && covers(point, sensorRegion());
    const state = usable ? frame.state : "unknown";
    if (state === "tense" && given < graph.max_cues_in_a_row) {
      logDecision(point, "release_cue", point.cues[given], startsAt);
      return { id: point.cues[given], kind: "cue", point: point, given: given + 1 };
    }
    if (state === "tense") {
      logDecision(point, "silence", null, startsAt);
      return { id: point.silence, kind: "silence", point: point, given: given };
    }
    logDecision(point, "move_on", null, startsAt); // let go, unknown or a bad signal: move on, say nothing
    return { id: point.next, kind: "main", main: point.mainAfter };
  }

  function duck(when, speech) {
    if (!nodes.bed) return;
    const low = Math.pow(10, -graph.bed.duck_db / 20);
    for (const s of speech) { // as the plain mix: dip ~0.3 s before the voice, hold ~0.8 s after it
      nodes.duck.gain.setTargetAtTime(low, Math.max(when, when + s[0] - 0.3), 0.1);
      nodes.duck.gain.setTargetAtTime(1, when + s[1] + 0.8, 0.15);
    }
  }

  function schedule(next, when) {
    return load(next.id).then(function (buffer) {
      const startAt = Math.max(when, ctx.currentTime);
      if (startAt > when + 0.005) stats.late += 1; // would be a gap: counted, so the tests can say there was none
      const source = ctx.createBufferSource();
      source.buffer = buffer;
      source.connect(nodes.voice);
      source.start(startAt);
      const entry = Object.assign({}, next, { start: startAt, end: startAt + buffer.duration, source: source });
      stats.played.push({ id: next.id, kind: next.kind, start: startAt - t0, end: entry.end - t0 });
      scheduled.push(entry);
      duck(startAt, graph.clips[next.id].speech);
      if (nodes.soft) {
        const soft = next.kind === "silence" ? Math.pow(10, graph.bed.soft_db / 20) : 1;
        nodes.soft.gain.setTargetAtTime(soft, startAt, 1.0); // the longer silence: a softer background
      }
      if (next.kind === "main") prefetch(next.main);
      source.onended = function () { if (tail === entry) end(); };
      tail = entry;
      if (next.kind === "main" && next.main === graph.main.length - 1) fadeOut(entry.end);
      return entry;
    });
  }

  let deciding = false;
  function tick() {
    if (!ctx || !tail || finished) return;
    const now = ctx.currentTime;
    for (const e of scheduled) { if (e.start <= now) current = e; }
    if (ctx.state === "running" && lastTick) heard += Math.max(0, Math.min(1, now - lastTick));
    lastTick = ctx.state === "running" ? now : 0;
    show();
    // Without a sensor every point moves on: the next clip is scheduled as soon as it can be, so a hidden tab's
    // slow timers cannot make a gap. With one, the choice waits for the freshest tone before the join.
    const ahead = sensorWanted && (live || !document.hidden) ? DECIDE_AHEAD_S : Infinity;
    if (deciding || tail.done || now < tail.start || now < tail.end - ahead) return; // at most one clip ahead
    const last = tail;
    last.done = true;
    const next = choose(last);
    if (!next) return;
    stats.lead.push(Math.min(last.end - now, 3600)); // how long before the join the choice was made
    deciding = true;
    schedule(next, last.end).finally(function () { deciding = false; });
    if (heard - lastSent > 15) save();
  }

  function show() {
    const pos = position();
    clock.textContent = fmt(pos) + " / " + fmt(total);
    let active = null;
    if (current && current.kind === "main") {
      for (const li of cues) {
        if (pos >= parseFloat(li.dataset.start) && pos < parseFloat(li.dataset.end) + 1.0) active = li;
        if (parseFloat(li.dataset.start) > pos) break;
      }
    }
    for (const li of cues) { if (li !== active && li.hasAttribute("aria-current")) li.removeAttribute("aria-current"); }
    if (active && !active.hasAttribute("aria-current")) {
      active.setAttribute("aria-current", "true");
      const list = active.parentElement;
      list.scrollTop = active.offsetTop - list.offsetTop - list.clientHeight / 3;
    }
    const extra = $("extra-cue");
    const text = current && current.kind === "cue" ? graph.clips[current.id].speech.map(function (s) { return s[2]; }).join(" ") : "";
    if (text !== currentCue) { currentCue = text; extra.textContent = text; extra.hidden = !text; }
  }

  function fadeOut(at) {
    const length = graph.fade_out_s || 3;
    if (nodes.fade) nodes.fade.gain.setTargetAtTime(0, Math.max(ctx.currentTime, at - length), length / 4);
  }

  function end() {
    if (finished) return;
    finished = true;
    if (nodes.bed) nodes.bed.stop(ctx.currentTime + 0.5);
    (nodes.oscillators || []).forEach(function (o) { o.stop(ctx.currentTime + 0.5); });
    finish();
  }

  function buildNodes() {
    const n = { voice: ctx.createGain() };
    n.voice.connect(ctx.destination);
    n.fade = ctx.createGain();
    n.fade.connect(ctx.destination);
    n.fade.gain.setValueAtTime(0, t0);
    n.fade.gain.linearRampToValueAtTime(1, t0 + (graph.bed ? graph.bed.fade_in_s : 4));
    n.level = ctx.createGain();
    n.level.connect(n.fade);
    n.tone = ctx.createBiquadFilter();
    n.tone.type = "lowpass";
    n.tone.frequency.value = BRIGHTEST_HZ;
    n.tone.Q.value = 0.5; // no resonance: only darker, never ringing
    return n;
  }

  function begin() {
    if (ctx) return Promise.resolve();
    ctx = new AudioContext();
    return fetch(base + "graph.json").then(function (r) { return r.json(); }).then(function (g) {
      graph = g;
      graph.points.forEach(function (p, i) { p.mainAfter = i + 1; });
      t0 = ctx.currentTime + 0.3;
      nodes = buildNodes();
      const waits = [load(graph.start)];
      if (graph.bed) {
        waits.push(fetch(base + graph.bed.file).then(function (r) { return r.arrayBuffer(); }).then(function (d) { return ctx.decodeAudioData(d); }).then(function (buffer) {
          nodes.duck = ctx.createGain();
          nodes.soft = ctx.createGain();
          nodes.bed = ctx.createBufferSource();
          nodes.bed.buffer = buffer;
          nodes.bed.loop = true;
          nodes.bed.connect(nodes.tone);
          nodes.tone.connect(nodes.duck);
          nodes.duck.connect(nodes.soft);
          nodes.soft.connect(nodes.level);
        }));
      }
      return Promise.all(waits);
    }).then(function () {
      t0 = Math.max(t0, ctx.currentTime + 0.1);
      if (nodes.bed) nodes.bed.start(t0);
      if (graph.binaural) { // the beat of the plain mix, made here: two steady tones need no file
        const merger = ctx.createChannelMerger(2);
        const beatGain = ctx.createGain();
        beatGain.gain.value = graph.binaural.amplitude;
        merger.connect(beatGain);
        beatGain.connect(nodes.fade);
        nodes.oscillators = [graph.binaural.carrier_hz, graph.binaural.carrier_hz + graph.binaural.beat_hz].map(function (hz, ear) {
          const osc = ctx.createOscillator();
          osc.frequency.value = hz;
          osc.connect(merger, 0, ear);
          osc.start(t0);
          return osc;
        });
      }
      return schedule({ id: graph.start, kind: "main", main: 0 }, t0);
    }).then(function (first) {
      current = first;
      markSession();
      play.textContent = "Pause";
      play.setAttribute("aria-label", "Pause");
      connect();
      setInterval(tick, 100);
    });
  }

  function toggle() {
    startListen(null);
    if (!ctx) { begin().catch(function (err) { stats.errors.push(String(err)); setStatus("The session could not start: " + err.message); }); return; }
    if (ctx.state === "running") {
      ctx.suspend();
      play.textContent = "Play";
      play.setAttribute("aria-label", "Play");
      save();
    } else {
      ctx.resume();
      play.textContent = "Pause";
      play.setAttribute("aria-label", "Pause");
    }
  }

  function finish() {
    if (ctx && ctx.state === "running") ctx.suspend();
    stopSensor();
    $("after").hidden = false;
    $("done").hidden = true;
    save({ finished: true });
  }

  function showSensorFields() {
    const board = $("sensor-board").value;
    $("sensor-port-field").hidden = ["cyton", "ganglion", "gforce", "callibri_emg"].indexOf(board) < 0;
    $("sensor-file-field").hidden = board !== "playback";
  }
  $("sensor-board").addEventListener("change", showSensorFields);
  (function fromAddress() { // sensor settings given in the page's address are shown as chosen
    const page = new URLSearchParams(location.search);
    const board = page.get("sensor_board");
    if (board && $("sensor-board").querySelector('option[value="' + CSS.escape(board) + '"]')) $("sensor-board").value = board;
    if (page.get("sensor_file")) $("sensor-file").value = page.get("sensor_file");
    showSensorFields();
  })();
  play.addEventListener("click", toggle);
  document.querySelectorAll("[data-before]").forEach(function (button) {
    button.addEventListener("click", function () {
      button.setAttribute("aria-pressed", "true");
      $("before").hidden = true;
      startListen(parseInt(button.dataset.before, 10));
      toggle();
    });
  });
  $("skip-before").addEventListener("click", function () { $("before").hidden = true; toggle(); });
  $("done").addEventListener("click", function () { startListen(null); finished = true; finish(); });
  document.querySelectorAll("[data-after]").forEach(function (button) {
    button.addEventListener("click", function () {
      button.setAttribute("aria-pressed", "true");
      startListen(null);
      save({ finished: true, tension_after: parseInt(button.dataset.after, 10) }).then(function () {
        $("after").hidden = true;
        $("thanks").hidden = false;
      });
    });
  });
  window.addEventListener("pagehide", function () { save(); });

  // For tests and developers: what played and what was decided; `feed` takes tone frames from another source.
  window.unclenchAdaptive = {
    stats: stats,
    feed: function (f) { stats.mode = "fed"; sensorWanted = true; onFrame(f); },
    layer: function () { return nodes ? { gain: nodes.level.gain.value, cutoff: nodes.tone.frequency.value } : null; },
  };
})();
