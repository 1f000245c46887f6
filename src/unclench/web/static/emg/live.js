// Live biofeedback: WebSocket frames → gauge, 20-s trace on a canvas, burst marks, optional tone, timer.
// Latency parts measured here (transport, drawing) are kept in window.emgStats for tests and shown under
// "Technical details". "Try it without a sensor" streams the bundled recording (board "demo"): never saved.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const form = $("emg-start");
  if (!form) return;
  const canvas = $("emg-trace");
  const ctx = canvas.getContext("2d");
  const WINDOW_S = 20;
  const stats = { frames: 0, transport: [], draw: [], proc: [], bursts: 0, gauge: null, phase: null, demo: false };
  window.emgStats = stats;
  let ws = null, points = [], marks = [], target = null, startedAt = null, timer = null;
  let audio = null, osc = null, gain = null;

  function median(a) { if (!a.length) return null; const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; }
  function keep(a, v) { a.push(v); if (a.length > 500) a.shift(); }

  function setTarget(v) {
    target = v;
    $("emg-target").textContent = v.toFixed(1);
    const input = $("emg-target-input");
    input.max = Math.max(parseFloat(input.max), v * 10);
    input.value = v;
  }

  function toneFor(value) {
    if (!$("emg-tone").checked || target === null) { if (gain) gain.gain.value = 0; return; }
    if (!audio) {
      audio = new AudioContext(); osc = audio.createOscillator(); gain = audio.createGain();
      osc.type = "sine"; osc.connect(gain); gain.connect(audio.destination); gain.gain.value = 0; osc.start();
    }
    if (value <= target) { gain.gain.setTargetAtTime(0, audio.currentTime, 0.05); return; }
    const ratio = Math.min(value / target, 8);
    osc.frequency.setTargetAtTime(220 * Math.pow(2, Math.log2(ratio)), audio.currentTime, 0.05); // an octave per doubling
    gain.gain.setTargetAtTime(0.08, audio.currentTime, 0.05);
  }

  function draw() {
    const t0 = performance.now();
    const w = canvas.width, h = canvas.height;
    ctx.clearRect(0, 0, w, h);
    if (!points.length) return 0;
    const tEnd = points[points.length - 1][0], tStart = tEnd - WINDOW_S;
    let visMax = 0;
    for (const p of points) if (p[0] >= tStart && p[1] > visMax) visMax = p[1];
    const yMax = Math.max(visMax * 1.2, (target || 0.1) * 2.5);
    const x = (t) => ((t - tStart) / WINDOW_S) * w, y = (v) => h - (v / yMax) * h;
    ctx.fillStyle = "rgba(242,193,78,0.35)";
    for (const m of marks) { if (m[1] >= tStart) ctx.fillRect(x(m[0]), 0, Math.max(2, x(m[1]) - x(m[0])), h); }
    if (target !== null) { ctx.strokeStyle = "#34495e"; ctx.setLineDash([6, 4]); ctx.beginPath(); ctx.moveTo(0, y(target)); ctx.lineTo(w, y(target)); ctx.stroke(); ctx.setLineDash([]); }
    ctx.strokeStyle = "#4a6fa5"; ctx.lineWidth = 1.5; ctx.beginPath();
    let first = true;
    for (const [t, v] of points) { if (t < tStart) continue; if (first) { ctx.moveTo(x(t), y(v)); first = false; } else ctx.lineTo(x(t), y(v)); }
    ctx.stroke();
    return performance.now() - t0;
  }

  function onFrame(f) {
    if (f.proc_ms !== undefined) keep(stats.proc, f.proc_ms);
    stats.frames += 1; stats.phase = f.phase;
    if (f.phase === "calibrating") { $("emg-status").textContent = `Calibrating — sit still and let go… ${f.calibration_left_s.toFixed(0)} s`; return; }
    if (target === null && f.target !== null) setTarget(f.target);
    if (points.length === 0) $("emg-status").textContent = stats.demo ? "Live demo: watch the gauge rise as the arm tenses and fall as it lets go." : "Live. Let the gauge settle below the line.";
    for (let i = 0; i < f.t.length; i++) points.push([f.t[i], f.env[0][i]]);
    while (points.length && points[0][0] < points[points.length - 1][0] - WINDOW_S - 1) points.shift();
    for (const ev of f.events) {
      if (ev.kind === "burst_confirmed") marks.push([ev.onset_s, ev.onset_s + 0.2, true]);
      if (ev.kind === "burst_final" && ev.burst) {
        for (let i = marks.length - 1; i >= 0; i--) if (marks[i][2]) { marks[i] = [ev.burst.onset_s, ev.burst.offset_s, false]; break; }
        stats.bursts += 1; $("emg-bursts").textContent = stats.bursts;
      }
      if (ev.kind === "burst_dropped") { for (let i = marks.length - 1; i >= 0; i--) if (marks[i][2]) { marks.splice(i, 1); break; } }
    }
    for (const m of marks) if (m[2] && points.length) m[1] = points[points.length - 1][0];
    if (f.gauge !== null) {
      stats.gauge = f.gauge;
      stats.gaugeMin = Math.min(stats.gaugeMin ?? Infinity, f.gauge); stats.gaugeMax = Math.max(stats.gaugeMax ?? 0, f.gauge);
      $("emg-value").textContent = f.gauge.toFixed(1);
      const top = Math.max((target || 1) * 4, 1);
      const pct = Math.min(100, (f.gauge / top) * 100);
      $("emg-fill").style.height = pct + "%";
      $("emg-fill").classList.toggle("above", target !== null && f.gauge > target);
      $("emg-gauge").setAttribute("aria-valuenow", Math.round(pct));
      if (target !== null) $("emg-target-line").style.bottom = Math.min(100, (target / top) * 100) + "%";
      toneFor(f.gauge);
    }
    keep(stats.draw, draw());
    $("emg-latency").textContent = `latency parts (median): server processing ${(median(stats.proc) || 0).toFixed(2)} ms · ` +
      `transport ${(median(stats.transport) || 0).toFixed(1)} ms · drawing ${(median(stats.draw) || 0).toFixed(2)} ms · ` +
      `plus the 100 ms RMS window (edge half-seen at ~50 ms), 20 ms polling`;
  }

  function setRunning(running) {
    $("emg-go").disabled = running; $("emg-demo").disabled = running; $("emg-stop").disabled = !running;
  }

  function start(q, demo) {
    if (ws && ws.readyState <= 1) ws.close();
    stats.demo = demo;
    $("emg-demo-banner").hidden = !demo;
    $("emg-stop").textContent = demo ? "Stop" : "Stop and save";
    $("emg-status").textContent = demo ? "Starting the demo… the first seconds learn the resting level." : "Connecting to the sensor…";
    const proto = location.protocol === "https:" ? "wss" : "ws";
    // The guard refuses a WebSocket without this page's CSRF token (the form's hidden field holds it).
    q.set("csrf_token", form.elements.csrf_token.value);
    ws = new WebSocket(`${proto}://${location.host}/emg/ws/live?${q}`);
    points = []; marks = []; target = null; stats.bursts = 0; stats.frames = 0; stats.gauge = null; stats.gaugeMin = null; stats.gaugeMax = null; $("emg-bursts").textContent = "0";
    setRunning(true);
    ws.onmessage = (msg) => {
      const f = JSON.parse(msg.data);
      if (f.error) { $("emg-status").textContent = f.error; $("emg-demo-banner").hidden = true; setRunning(false); return; }
      // Transport is half a ping's round trip on this page's own clock, so no two clocks need to agree.
      if (f.pong !== undefined) { keep(stats.transport, (performance.now() - f.pong) / 2); return; }
      if (f.ready) {
        startedAt = Date.now();
        timer = setInterval(() => {
          const s = Math.floor((Date.now() - startedAt) / 1000); $("emg-timer").textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
          if (ws && ws.readyState === 1) ws.send(JSON.stringify({ ping: performance.now() }));
        }, 500);
        if (f.warnings.length) $("emg-status").textContent = f.warnings.join(" ");
        return;
      }
      if (f.saved) { $("emg-status").innerHTML = `Saved. <a href="/emg/${f.saved}">See the recording</a>.`; return; }
      if (f.done) { $("emg-status").textContent = f.not_saved || (stats.demo ? "Demo stopped. Nothing was saved." : "Stopped."); return; }
      onFrame(f);
    };
    ws.onclose = () => { clearInterval(timer); setRunning(false); if (gain) gain.gain.value = 0; };
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form).entries()) if (v) q.set(k, v);
    start(q, false);
  });
  $("emg-demo").addEventListener("click", () => {
    start(new URLSearchParams({ board: "demo", calibration: "3" }), true);
  });
  // A demo is never saved (the server refuses too), so its stop button only stops.
  $("emg-stop").addEventListener("click", () => { if (ws) ws.send(JSON.stringify({ stop: true, save: !stats.demo })); });
  $("emg-target-input").addEventListener("input", (e) => {
    const v = parseFloat(e.target.value); setTarget(v);
    if (ws && ws.readyState === 1) ws.send(JSON.stringify({ target: v }));
  });
})();
