/* Anju 安居 — door page: scan check-in QR codes with the phone's camera.
 *
 * Progressive enhancement of the typed-code form (#scan-form): what the camera reads is posted through that
 * same form to the same view, so checking the code (signature, session, idempotency) and CSRF stay on the
 * server in one place. The answer page's messages, attendance count and participant list are swapped into
 * this page; scanning pauses briefly and goes on. Decoding: the browser's BarcodeDetector where it reads QR
 * codes, else jsQR (vendored, loaded only when needed). Texts come translated from data-msg-* attributes.
 * Without a camera (refused, none, no https) a message says so and the typed form stays as it was.
 */
(function () {
  "use strict";

  var root = document.getElementById("camera-scan");
  if (!root) return;
  var form = document.getElementById(root.getAttribute("data-form"));
  if (!form) return;
  var startBtn = document.getElementById("camera-start");
  var stopBtn = document.getElementById("camera-stop");
  var video = document.getElementById("camera-video");
  var canvas = document.getElementById("camera-canvas");
  var statusEl = document.getElementById("camera-status");
  var resultEl = document.getElementById("camera-result");
  var ctx = canvas.getContext("2d", { willReadFrequently: true });

  var PAUSE_MS = parseInt(root.getAttribute("data-pause"), 10) || 1500; // after each answer
  var INTERVAL_MS = 120; // between two looks at the picture
  var MAX_WIDTH = 640; // frames are scaled down to this for decoding

  var stream = null;
  var wanted = false; // the user wants the camera on (may still be starting)
  var timer = null;
  var detectorPromise = null;

  function text(key) {
    return root.getAttribute("data-msg-" + key) || "";
  }

  function say(key) {
    statusEl.textContent = text(key);
    statusEl.setAttribute("data-state", key);
  }

  // The control appears only when this script runs; the typed form works without it.
  root.hidden = false;

  // --- decoding -----------------------------------------------------------------------------------------

  function loadJsQR() {
    if (typeof window.jsQR === "function") return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = root.getAttribute("data-jsqr");
      script.onload = function () {
        if (typeof window.jsQR === "function") resolve();
        else reject(new Error("jsQR did not load"));
      };
      script.onerror = function () { reject(new Error("jsQR did not load")); };
      document.head.appendChild(script);
    });
  }

  // A BarcodeDetector that reads QR codes, or null (then jsQR is used).
  function nativeDetector() {
    if (!("BarcodeDetector" in window)) return Promise.resolve(null);
    var formats = window.BarcodeDetector.getSupportedFormats
      ? window.BarcodeDetector.getSupportedFormats()
      : Promise.resolve(["qr_code"]);
    return Promise.resolve(formats).then(function (list) {
      return list.indexOf("qr_code") >= 0 ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
    }).catch(function () { return null; });
  }

  function decoder() {
    if (!detectorPromise) {
      detectorPromise = nativeDetector().then(function (detector) {
        if (detector) return { kind: "native", detector: detector };
        return loadJsQR().then(function () { return { kind: "jsqr" }; });
      });
      detectorPromise.catch(function () { detectorPromise = null; }); // may retry later
    }
    return detectorPromise;
  }

  // Decode what is on the canvas now: a Promise of the QR's text, or null.
  function decodeCanvas(dec) {
    if (dec.kind === "native") {
      return dec.detector.detect(canvas).then(function (codes) {
        for (var i = 0; i < codes.length; i++) if (codes[i].rawValue) return codes[i].rawValue;
        return null;
      });
    }
    var image = ctx.getImageData(0, 0, canvas.width, canvas.height);
    var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    return Promise.resolve(code && code.data ? code.data : null);
  }

  function grabFrame() {
    var w = video.videoWidth;
    var h = video.videoHeight;
    if (!w || !h) return false;
    var scale = Math.min(1, MAX_WIDTH / w);
    canvas.width = Math.round(w * scale);
    canvas.height = Math.round(h * scale);
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    return true;
  }

  // --- sending a code through the page's own form ------------------------------------------------------

  function showAnswer(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var items = doc.querySelectorAll("main ul.messages > li");
    resultEl.textContent = "";
    if (!items.length) {
      // Not the door page (e.g. signed out meanwhile): say so rather than guess.
      var li = document.createElement("li");
      li.className = "msg msg-error";
      li.textContent = text("noanswer");
      resultEl.appendChild(li);
      return false;
    }
    items.forEach(function (item) { resultEl.appendChild(document.importNode(item, true)); });
    // Messages of an earlier typed code would be stale now.
    document.querySelectorAll("main ul.messages").forEach(function (ul) {
      if (ul !== resultEl) ul.remove();
    });
    ["attendance-count", "door-participants"].forEach(function (id) {
      var fresh = doc.getElementById(id);
      var old = document.getElementById(id);
      if (fresh && old) old.replaceWith(document.importNode(fresh, true));
    });
    var ok = resultEl.querySelector(".msg-success");
    if (ok && navigator.vibrate) navigator.vibrate(80);
    return true;
  }

  function send(code) {
    var data = new FormData(form);
    data.set("code", code);
    return fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "XMLHttpRequest" },
    }).then(function (response) {
      return response.text();
    }).then(showAnswer).catch(function () {
      resultEl.textContent = "";
      var li = document.createElement("li");
      li.className = "msg msg-error";
      li.textContent = text("noanswer");
      resultEl.appendChild(li);
    });
  }

  // --- the scanning loop -------------------------------------------------------------------------------

  function schedule(ms) {
    clearTimeout(timer);
    if (stream) timer = setTimeout(tick, ms);
  }

  function tick() {
    if (!stream) return;
    if (video.readyState < 2 || !grabFrame()) {
      schedule(INTERVAL_MS);
      return;
    }
    decoder().then(decodeCanvas).catch(function () {
      return null; // an unreadable frame: try the next
    }).then(function (code) {
      if (!code || !stream) {
        schedule(INTERVAL_MS);
        return;
      }
      say("sending");
      send(code).then(function () {
        say("answered"); // no such text: the status empties while the answer is shown
        // Pause, so the answer can be read and the person step aside; then the next code (or the same one,
        // which answers "already checked in").
        schedule(PAUSE_MS);
        setTimeout(function () { if (stream) say("scanning"); }, PAUSE_MS);
      });
    });
  }

  function problem(err) {
    var name = err && err.name;
    if (name === "NotAllowedError" || name === "PermissionDeniedError" || name === "SecurityError") return "denied";
    if (name === "NotFoundError" || name === "DevicesNotFoundError" || name === "OverconstrainedError") {
      return "notfound";
    }
    if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") return "busy";
    return "failed";
  }

  function showButtons(running) {
    startBtn.hidden = running;
    stopBtn.hidden = !running;
    video.hidden = !running;
  }

  function start() {
    if (wanted) return;
    resultEl.textContent = "";
    if (!window.isSecureContext) { say("insecure"); return; }
    if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== "function") {
      say("unsupported");
      return;
    }
    wanted = true;
    say("starting");
    startBtn.disabled = true;
    decoder().then(function () {
      return navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
    }, function () {
      throw { name: "DecoderError" }; // neither BarcodeDetector nor jsQR: report as "failed"
    }).then(function (media) {
      if (!wanted) { // stopped while the camera was starting
        media.getTracks().forEach(function (t) { t.stop(); });
        return;
      }
      stream = media;
      video.srcObject = media;
      showButtons(true);
      return video.play().then(function () {
        say("scanning");
        schedule(0);
      });
    }).catch(function (err) {
      stop();
      say(problem(err));
    }).then(function () {
      startBtn.disabled = false;
    });
  }

  function stop(quiet) {
    wanted = false;
    clearTimeout(timer);
    var had = !!stream;
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    video.pause();
    video.srcObject = null;
    showButtons(false);
    if (had && !quiet) say("stopped");
  }

  startBtn.addEventListener("click", start);
  stopBtn.addEventListener("click", function () { stop(false); stopBtn.blur(); startBtn.focus(); });
  // Leaving the page, or putting the phone's browser in the background, turns the camera off.
  window.addEventListener("pagehide", function () { stop(true); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && stream) stop(false);
  });
})();
