/* RefundGuard live capture page: rear camera only (getUserMedia), no file picker; each shot is sent as soon as it
   is taken, with the session nonce, the page's clock and the time since the session started. */
(function () {
  "use strict";
  const app = document.getElementById("app");
  const token = app.dataset.token;
  const turn = app.dataset.turn;
  const T = JSON.parse(document.getElementById("messages").textContent);
  const base = "/capture/" + encodeURIComponent(token);
  const store = "rg-capture-" + token;
  const SHOTS = ["whole", "close", "turned"];
  const $ = (id) => document.getElementById(id);
  let state = JSON.parse(sessionStorage.getItem(store) || "null");  // {nonce, code, started, deadline}
  let stream = null;
  let shot = 0;
  let startedAt = performance.now();
  let received = {};

  function show(name) {
    for (const s of document.querySelectorAll(".step")) s.hidden = s.id !== "step-" + name;
    window.scrollTo(0, 0);
  }

  function progress(done) {
    received = done || received;
    for (const li of document.querySelectorAll("#progress li")) {
      const k = SHOTS.indexOf(li.dataset.step);
      li.classList.toggle("done", !!received[li.dataset.step]);
      li.classList.toggle("current", k === shot);
    }
  }

  function message(body, fallback) {
    const m = body && body.error && body.error.message;
    if (!m) return fallback;
    return app.dataset.lang === "zh" ? m.zh + " / " + m.en : m.en + " / " + m.zh;
  }

  function fail(text) {
    stop();
    $("error-text").textContent = text;
    show("error");
  }

  async function call(path, options) {
    let response;
    try {
      response = await fetch(base + path, Object.assign({credentials: "omit", cache: "no-store"}, options || {}));
    } catch (e) {
      throw new Error(T.network);
    }
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      const err = new Error(message(body, "HTTP " + response.status));
      err.status = response.status;
      throw err;
    }
    return body;
  }

  function stop() {
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
  }

  async function camera(video) {
    stop();
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw new Error(T.no_camera);
    try {
      stream = await navigator.mediaDevices.getUserMedia({audio: false, video: {
        facingMode: {ideal: "environment"}, width: {ideal: 4032}, height: {ideal: 3024}}});
    } catch (e) {
      throw new Error(T.camera_denied);
    }
    video.srcObject = stream;
    await video.play().catch(() => {});
    if (!video.videoWidth) await new Promise((resolve) => video.addEventListener("loadedmetadata", resolve, {once: true}));
  }

  function grab(video) {
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.92));
  }

  function send(kind, blob, onprogress) {
    return new Promise((resolve, reject) => {
      const form = new FormData();
      form.append("nonce", state.nonce);
      form.append("kind", kind);
      form.append("client_time_ms", String(Date.now()));
      form.append("since_start_ms", String(Math.round(performance.now() - startedAt)));
      form.append("file", blob, kind === "video" ? "orbit.webm" : kind + ".jpg");
      const xhr = new XMLHttpRequest();
      xhr.open("POST", base + "/frames");
      xhr.upload.onprogress = (e) => { if (e.lengthComputable && onprogress) onprogress(e.loaded / e.total); };
      xhr.onload = () => {
        let body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        if (xhr.status >= 200 && xhr.status < 300) resolve(body);
        else { const err = new Error(message(body, "HTTP " + xhr.status)); err.status = xhr.status; reject(err); }
      };
      xhr.onerror = () => reject(new Error(T.network));
      xhr.send(form);
    });
  }

  function setShot(k) {
    shot = k;
    progress(null);
    const kind = SHOTS[k];
    $("shot-title").textContent = T["title_" + kind];
    $("shot-hint").textContent = T["hint_" + kind];
    $("turn-hint").hidden = kind !== "turned";
    $("turn-arrow").textContent = turn === "left" ? "⬅" : "➡";
    $("turn-text").textContent = T["turn_" + turn];
    $("preview").hidden = true;
    $("video").hidden = false;
    $("shutter").hidden = false;
    $("shutter").disabled = true;  // until the camera shows a picture (a shot of nothing is never sent)
    $("retake").hidden = true;
    $("next").hidden = true;
    $("upload").hidden = true;
    $("status").textContent = "";
  }

  async function openShot(k) {
    setShot(k);
    show("camera");
    try { await camera($("video")); } catch (e) { return fail(e.message); }
    if (shot === k && $("video").videoWidth > 0) $("shutter").disabled = false;
  }

  async function takeShot() {
    const kind = SHOTS[shot];
    if ($("shutter").disabled || !stream) return;
    $("shutter").disabled = true;
    const blob = await grab($("video"));
    stop();  // the camera is reopened for the next shot (or a retake)
    $("preview").src = URL.createObjectURL(blob);
    $("preview").hidden = false;
    $("video").hidden = true;
    $("shutter").hidden = true;
    $("upload").hidden = false;
    $("upload-fill").style.width = "0%";
    $("status").textContent = T.sending;
    try {
      const accepted = await send(kind, blob, (f) => { $("upload-fill").style.width = Math.round(f * 100) + "%"; });
      $("upload-fill").style.width = "100%";
      $("status").textContent = T.sent;
      progress(accepted.shots);
      $("retake").hidden = false;
      $("next").hidden = false;
      if (kind === "whole") checkCode();
    } catch (e) {
      if (e.status === 410 || e.status === 403 || e.status === 429) return fail(e.message);
      $("status").textContent = e.message;
      $("retake").hidden = false;
    }
  }

  async function checkCode() {  // the server reads the code while the buyer goes on; tell them if it failed
    for (let i = 0; i < 60 && shot === 0; i++) {  // two minutes at most; a shot is usually read in seconds
      await new Promise((r) => setTimeout(r, 2000));
      try {
        const s = await call("/status", {headers: {"X-Capture-Nonce": state.nonce}});
        const f = s.feedback && s.feedback.whole;
        if (f) {
          if (f.code === "not_read" && shot === 0) {  // still on shot (a): the buyer can retake it
            $("status").textContent = T.code_not_read;
            $("status").classList.add("warn");
          }
          return;
        }
      } catch (e) { return; }
    }
  }

  async function next() {
    $("status").classList.remove("warn");
    if (shot < SHOTS.length - 1) return openShot(shot + 1);
    show("video");
    if (typeof MediaRecorder === "undefined") {
      $("record").hidden = true;
      $("video-status").textContent = T.no_recorder;
      return;
    }
    try { await camera($("video-orbit")); } catch (e) { $("record").hidden = true; $("video-status").textContent = e.message; }
  }

  async function record() {
    if (!stream) return;
    $("record").disabled = true;
    $("finish").disabled = true;
    const types = ["video/webm;codecs=vp8", "video/webm", "video/mp4"];
    const mimeType = types.find((t) => MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(t)) || "";
    const options = {mimeType: mimeType, videoBitsPerSecond: 6000000, videoKeyFrameIntervalDuration: 500};
    let recorder;
    try { recorder = new MediaRecorder(stream, options); } catch (e) { recorder = new MediaRecorder(stream); }
    const chunks = [];
    recorder.ondataavailable = (e) => { if (e.data && e.data.size) chunks.push(e.data); };
    const done = new Promise((resolve) => { recorder.onstop = resolve; });
    $("video-status").textContent = T.recording;
    recorder.start(500);
    await new Promise((r) => setTimeout(r, 4000));
    recorder.stop();
    await done;
    stop();
    const blob = new Blob(chunks, {type: recorder.mimeType || "video/webm"});
    $("video-status").textContent = T.sending;
    try {
      await send("video", blob, null);
      $("video-status").textContent = T.sent;
    } catch (e) {
      $("video-status").textContent = e.message;
    }
    $("finish").disabled = false;
  }

  async function finish() {
    stop();
    $("finish").disabled = true;
    $("video-status").textContent = T.finishing;
    try {
      await call("/complete", {method: "POST", headers: {"X-Capture-Nonce": state.nonce}});
      sessionStorage.removeItem(store);
      show("done");
    } catch (e) {
      if (e.status === 409) { $("video-status").textContent = e.message; $("finish").disabled = false; return; }
      fail(e.message);
    }
  }

  function showCode() {
    $("code").textContent = state.code;
    const until = new Date(state.deadline);
    $("session-deadline").textContent = T.session_until + " " + until.toLocaleString();
    show("code");
  }

  async function start() {
    $("start").disabled = true;
    try {
      const s = await call("/session", {method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({screen: screen.width + "x" + screen.height, ratio: window.devicePixelRatio})});
      state = {nonce: s.nonce, code: s.code, deadline: s.session_deadline};
      sessionStorage.setItem(store, JSON.stringify(state));
      startedAt = performance.now();
      showCode();
    } catch (e) {
      fail(e.message);
    }
  }

  async function resume() {  // a reload in the middle of the session continues where it was
    try {
      const s = await call("/status", {headers: {"X-Capture-Nonce": state.nonce}});
      progress(s.shots);
      const k = SHOTS.findIndex((kind) => !s.shots[kind]);
      if (k < 0) { show("video"); return next(); }
      if (k === 0) return showCode();
      await openShot(k);
    } catch (e) {
      sessionStorage.removeItem(store);
      fail(e.message);
    }
  }

  $("start").addEventListener("click", start);
  $("open-camera").addEventListener("click", () => openShot(0));
  $("shutter").addEventListener("click", takeShot);
  $("retake").addEventListener("click", () => openShot(shot));
  $("next").addEventListener("click", next);
  $("record").addEventListener("click", record);
  $("finish").addEventListener("click", finish);
  progress({});
  if (state && state.nonce) resume();
})();
