// Resumable upload of a video's source file with the tus 1.0 protocol (https://tus.io): POST
// creates the upload, PATCHes send it in chunks, HEAD tells where the server stands after any
// failure. The upload's URL is remembered in localStorage under the video and the file's name,
// size and date, so choosing the same file again — after a network drop, a closed browser or a
// restarted server — continues from the server's offset. Every text shown comes from the
// page's data attributes, rendered from the locale catalogs.
//
// A citizen's video message is sent the same way from its status page: the form has
// data-token-hash, and the one-time capability that allows the upload is read from the page's
// fragment (#upload=…), which no request carries, and sent in the upload's metadata.

const form = document.getElementById("upload-form");
if (form) setUp(form);

function setUp(form) {
  const d = form.dataset;
  const input = document.getElementById("upload-file");
  const bar = document.getElementById("upload-progress");
  const text = document.getElementById("upload-text");
  const pauseButton = document.getElementById("upload-pause");
  const startButton = document.getElementById("upload-start");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const numbers = new Intl.NumberFormat(document.documentElement.lang, { maximumFractionDigits: 1 });
  const chunk = Number(d.chunk);
  const token = "tokenHash" in d ? new URLSearchParams(location.hash.slice(1)).get("upload") : null;
  const maxAttempts = 10;
  let current = null;

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
  // b64 encodes a metadata value as tus wants: UTF-8, then base64.
  const b64 = (s) => btoa(Array.from(new TextEncoder().encode(s), (b) => String.fromCharCode(b)).join(""));

  // Refusal is an answer that trying again will not change. The upload endpoint explains
  // itself in plain text in the reader's language; other answers (an error page) are named
  // by their status.
  class Refusal extends Error {}
  const refusal = async (res) => {
    const plain = (res.headers.get("Content-Type") || "").startsWith("text/plain");
    const msg = plain ? (await res.text()).trim() : "";
    return new Refusal(msg || fill(d.msgRefused, { status: String(res.status) }));
  };

  class Upload {
    constructor(file) {
      this.file = file;
      this.key = "tus:" + d.video + ":" + file.name + ":" + file.size + ":" + file.lastModified;
      this.url = localStorage.getItem(this.key);
      this.offset = 0;
      this.paused = false;
      this.attempt = 0;
      this.request = null;
    }

    async run() {
      this.paused = false;
      form.dataset.state = "running";
      startButton.disabled = true; // one upload at a time; pausing or the end enables it again
      show(pauseButton, true);
      pauseButton.textContent = d.msgPause;
      try {
        if (this.url) {
          const offset = await this.head();
          if (offset === null) {
            this.forget();
          } else {
            this.offset = offset;
            say(fill(d.msgResuming, { done: size(offset) }));
          }
        }
        if (!this.url) await this.create();
        this.since = performance.now();
        this.sinceOffset = this.offset;
        while (this.offset < this.file.size) {
          if (this.paused) return;
          await this.patch();
          this.attempt = 0;
        }
        this.finish();
      } catch (err) {
        if (this.paused) return;
        if (err instanceof Refusal) {
          this.forget();
          this.fail(err.message);
          return;
        }
        this.retry();
      }
    }

    // retry waits longer after each failure, then asks the server where it stands.
    retry() {
      this.attempt++;
      if (this.attempt > maxAttempts) {
        this.fail(d.msgGaveUp);
        return;
      }
      const seconds = Math.min(2 ** (this.attempt - 1), 30);
      say(fill(d.msgRetrying, { seconds: numbers.format(seconds) }));
      this.timer = setTimeout(() => this.run(), seconds * 1000);
    }

    async create() {
      say(d.msgStarting);
      const res = await fetch(d.endpoint, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Tus-Resumable": "1.0.0",
          "Upload-Length": String(this.file.size),
          "Upload-Metadata": "video " + b64(d.video) + ",filename " + b64(this.file.name) + (token ? ",token " + b64(token) : ""),
          "X-CSRF-Token": csrf,
        },
      });
      if (res.status !== 201) {
        if (res.status >= 400 && res.status < 500) throw await refusal(res);
        throw new Error("create: " + res.status);
      }
      this.url = new URL(res.headers.get("Location"), location.href).pathname;
      this.offset = 0;
      localStorage.setItem(this.key, this.url);
    }

    // head returns the server's offset, or null when the server no longer knows the upload.
    async head() {
      const res = await fetch(this.url, { method: "HEAD", cache: "no-store", credentials: "same-origin", headers: { "Tus-Resumable": "1.0.0" } });
      if (res.status === 404 || res.status === 410) return null;
      if (!res.ok) throw new Error("head: " + res.status);
      return Number(res.headers.get("Upload-Offset"));
    }

    async patch() {
      const end = Math.min(this.offset + chunk, this.file.size);
      this.request = new AbortController();
      const res = await fetch(this.url, {
        method: "PATCH",
        credentials: "same-origin",
        signal: this.request.signal,
        headers: {
          "Tus-Resumable": "1.0.0",
          "Upload-Offset": String(this.offset),
          "Content-Type": "application/offset+octet-stream",
          "X-CSRF-Token": csrf,
        },
        body: this.file.slice(this.offset, end),
      });
      if ([403, 409, 413, 422].includes(res.status)) throw await refusal(res);
      if (res.status !== 204) throw new Error("patch: " + res.status);
      this.offset = Number(res.headers.get("Upload-Offset"));
      this.progress();
    }

    progress() {
      const total = this.file.size;
      const percent = Math.floor((this.offset / total) * 100);
      const seconds = (performance.now() - this.since) / 1000;
      const speed = seconds > 0 ? (this.offset - this.sinceOffset) / seconds : 0;
      bar.value = percent;
      say(fill(d.msgProgress, {
        percent: numbers.format(percent),
        done: size(this.offset),
        total: size(total),
        speed: size(speed),
        left: speed > 0 ? duration((total - this.offset) / speed) : "…",
      }));
    }

    pause() {
      this.paused = true;
      startButton.disabled = false;
      clearTimeout(this.timer);
      if (this.request) this.request.abort();
      form.dataset.state = "paused";
      pauseButton.textContent = d.msgResume;
      say(fill(d.msgPaused, { percent: numbers.format(Math.floor((this.offset / this.file.size) * 100)) }));
    }

    finish() {
      localStorage.removeItem(this.key);
      bar.value = 100;
      show(pauseButton, false);
      form.dataset.state = "done";
      say(d.msgDone);
      startButton.disabled = false;
      // The status line follows the processing from here to its end (video-status.js).
      document.dispatchEvent(new CustomEvent("video-status:follow", { detail: d.video }));
      current = null;
    }

    fail(reason) {
      show(pauseButton, false);
      startButton.disabled = false;
      form.dataset.state = "failed";
      say(fill(d.msgFailed, { reason }));
      current = null;
    }

    forget() {
      localStorage.removeItem(this.key);
      this.url = null;
      this.offset = 0;
    }
  }

  form.addEventListener("submit", (ev) => {
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
    if (current) current.pause();
    current = new Upload(file);
    current.run();
  });

  pauseButton.addEventListener("click", () => {
    if (!current) return;
    if (current.paused) current.run();
    else current.pause();
  });
}
