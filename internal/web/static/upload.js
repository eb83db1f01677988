// Resumable upload of a video's source file with tus-js-client (https://github.com/tus/tus-js-client),
// the tus project's own browser client, which the page loads before this module (window.tus;
// scripts/tusjs.sh installs it from npm). It creates the upload, sends it in chunks with the
// progress reported within each, and after a failure waits, asks the server where it stands and
// goes on. The upload's URL is remembered in localStorage under a fingerprint of the video and
// the file's name, size and date, so choosing the same file again — after a network drop, a
// closed browser or a restarted server — continues from the server's offset. Every text shown
// comes from the page's data attributes, rendered from the locale catalogs.
//
// A citizen's video message is sent the same way from its status page: the form has
// data-token-hash, and the one-time capability that allows the upload is read from the page's
// fragment (#upload=…), which no request carries, and sent in the upload's metadata.

const form = document.getElementById("upload-form");
if (form && window.tus) setUp(form, window.tus);

function setUp(form, tus) {
  const d = form.dataset;
  const input = document.getElementById("upload-file");
  const bar = document.getElementById("upload-progress");
  const text = document.getElementById("upload-text");
  const pauseButton = document.getElementById("upload-pause");
  const startButton = document.getElementById("upload-start");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const numbers = new Intl.NumberFormat(document.documentElement.lang, { maximumFractionDigits: 1 });
  const token = "tokenHash" in d ? new URLSearchParams(location.hash.slice(1)).get("upload") : null;
  // The waits after failures in a row: ten tries, the longest wait 30 s.
  const retryDelays = [1, 2, 4, 8, 16, 30, 30, 30, 30, 30].map((s) => s * 1000);
  let current = null; // the tus.Upload running or paused, also form.upload
  let paused = false;
  let sent = 0; // bytes sent of the current file
  let since = 0, sinceBytes = 0; // where the speed is measured from

  // show toggles an element; the stylesheet's display for buttons outranks the hidden attribute.
  const show = (el, on) => {
    el.hidden = !on;
    el.style.display = on ? "" : "none";
  };
  show(pauseButton, false);
  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
  const say = (msg) => { text.textContent = msg; };
  const size = (n) => {
    const units = [d.unitB, d.unitKb, d.unitMb, d.unitGb, d.unitTb];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return fill(units[i], { n: numbers.format(i === 0 ? n : Math.round(n * 10) / 10) });
  };
  const duration = (s) => {
    s = Math.max(0, Math.round(s));
    if (s < 60) return fill(d.timeSec, { s: numbers.format(s) });
    if (s < 3600) return fill(d.timeMin, { m: numbers.format(Math.floor(s / 60)), s: numbers.format(s % 60) });
    return fill(d.timeHour, { h: numbers.format(Math.floor(s / 3600)), m: numbers.format(Math.floor(s / 60) % 60) });
  };
  const percentOf = (bytes, total) => Math.floor((bytes / total) * 100);
  const measureFrom = (bytes) => {
    since = performance.now();
    sinceBytes = bytes;
  };

  // A refusal is an answer that trying again will not change: any client error to the
  // creation, and to a chunk the refusals of the upload endpoint (forbidden, the video left
  // review, too large, a rejected file). The endpoint explains itself in plain text in the
  // reader's language; other answers (an error page) are named by their status.
  const refused = (err) => {
    const req = err.originalRequest, res = err.originalResponse;
    if (!req || !res) return false;
    const status = res.getStatus();
    if (req.getMethod() === "POST") return status >= 400 && status < 500;
    return req.getMethod() === "PATCH" && [403, 409, 413, 422].includes(status);
  };
  const refusal = (res) => {
    const plain = (res.getHeader("Content-Type") || "").startsWith("text/plain");
    const msg = plain ? String(res.getBody() || "").trim() : "";
    return msg || fill(d.msgRefused, { status: String(res.getStatus()) });
  };

  const progress = (bytes, total) => {
    sent = bytes;
    const seconds = (performance.now() - since) / 1000;
    const speed = seconds > 0 ? (bytes - sinceBytes) / seconds : 0;
    bar.value = percentOf(bytes, total);
    say(fill(d.msgProgress, {
      percent: numbers.format(percentOf(bytes, total)),
      done: size(bytes),
      total: size(total),
      speed: size(speed),
      left: speed > 0 ? duration((total - bytes) / speed) : "…",
    }));
  };

  // settle ends an upload, done or failed: the form may start another.
  const settle = (state, msg) => {
    show(pauseButton, false);
    startButton.disabled = false;
    form.dataset.state = state;
    say(msg);
    current = null;
  };

  const newUpload = (file) => {
    const metadata = { video: d.video, filename: file.name };
    if (token) metadata.token = token;
    const upload = new tus.Upload(file, {
      endpoint: new URL(d.endpoint, location.href).href,
      chunkSize: Number(d.chunk),
      retryDelays,
      metadata,
      headers: { "X-CSRF-Token": csrf },
      fingerprint: (f) => Promise.resolve(["sistercity", d.video, f.name, f.size, f.lastModified].join(":")),
      removeFingerprintOnSuccess: true,
      onBeforeRequest: (req) => {
        if (req.getMethod() === "POST") say(d.msgStarting);
      },
      onAfterResponse: (req, res) => {
        const status = res.getStatus();
        if (req.getMethod() === "POST" && status === 201) measureFrom(0);
        if (req.getMethod() !== "HEAD") return;
        // A server that cannot answer now (a proxy's 502 while it restarts) is asked again
        // later, rather than the upload being started anew.
        if (status >= 500) throw new Error("head: " + status);
        if (status >= 200 && status < 300) {
          const offset = Number(res.getHeader("Upload-Offset"));
          measureFrom(offset);
          say(fill(d.msgResuming, { done: size(offset) }));
        }
      },
      onProgress: progress,
      onShouldRetry: (err, attempt, options) => {
        if (refused(err)) return false;
        say(fill(d.msgRetrying, { seconds: numbers.format(options.retryDelays[attempt] / 1000) }));
        return true;
      },
      onSuccess: () => {
        bar.value = 100;
        settle("done", d.msgDone);
        // The status line follows the processing from here to its end (video-status.js).
        document.dispatchEvent(new CustomEvent("video-status:follow", { detail: d.video }));
      },
      onError: (err) => {
        if (!refused(err)) {
          settle("failed", fill(d.msgFailed, { reason: d.msgGaveUp }));
          return;
        }
        // The server will not take this upload: choosing the file again starts anew.
        upload.findPreviousUploads().then((previous) => {
          for (const p of previous) tus.defaultOptions.urlStorage.removeUpload(p.urlStorageKey);
        });
        settle("failed", fill(d.msgFailed, { reason: refusal(err.originalResponse) }));
      },
    });
    return upload;
  };

  const run = () => {
    paused = false;
    form.dataset.state = "running";
    startButton.disabled = true; // one upload at a time; pausing or the end enables it again
    show(pauseButton, true);
    pauseButton.textContent = d.msgPause;
    measureFrom(sent);
    current.start();
  };

  const pause = () => {
    paused = true;
    current.abort();
    startButton.disabled = false;
    form.dataset.state = "paused";
    pauseButton.textContent = d.msgResume;
    say(fill(d.msgPaused, { percent: numbers.format(percentOf(sent, current.file.size)) }));
  };

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const file = input.files[0];
    if (!file) {
      say(d.msgNoFile);
      return;
    }
    if (file.size > Number(d.max)) {
      say(fill(d.msgTooLarge, { size: size(file.size), max: d.msgMax }));
      return;
    }
    if (current && !paused) pause();
    startButton.disabled = true;
    const upload = newUpload(file);
    current = form.upload = upload;
    sent = 0;
    // An upload of this file begun earlier, on this page or before the browser was closed,
    // goes on where the server has it.
    const previous = await upload.findPreviousUploads().catch(() => []);
    if (previous.length > 0) upload.resumeFromPreviousUpload(previous[0]);
    run();
  });

  pauseButton.addEventListener("click", () => {
    if (!current) return;
    if (paused) run();
    else pause();
  });
}
