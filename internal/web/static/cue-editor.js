// The cue editor of /admin/tracks/{id}/edit. The page lists the cues (server-rendered, readable
// without this script); this script makes them editable: autosave of the whole cue list a moment
// after each change, keyboard shortcuts, splitting and merging cues, playing a cue in the video
// and showing the cues on it as they are typed. Every text a person reads comes from the page
// (data-msg-* attributes and the server's JSON), so it is in the user's language.

const root = document.getElementById("cue-editor");
if (root) init(root);

function init(root) {
  const msg = (name) => root.dataset["msg" + name.charAt(0).toUpperCase() + name.slice(1)] || "";
  const trackID = root.dataset.track;
  const editable = root.dataset.editable === "true";
  const list = root.querySelector("ol.cues");
  const status = document.getElementById("save-status");
  const problem = document.getElementById("save-problem");
  const failing = new Set(["stale", "invalid", "failed", "retry"]);
  const reloadWrap = document.getElementById("reload-wrap");
  const video = document.getElementById("cue-video");
  const debounce = 800;

  let version = Number(root.dataset.version);
  let dirty = false; // changes not yet sent
  let stale = false; // someone else saved: stop saving, keep the text
  let timer = 0;
  let inflight = null;
  let retryDelay = 2000;
  let leaving = false;

  const items = () => [...list.querySelectorAll("li.cue")];
  const field = (li, cls) => li.querySelector("." + cls);

  // Times are written 00:01:02.500; hours and milliseconds may be left out.
  function parseTime(s) {
    const m = /^\s*(?:(\d+):)?([0-5]?\d):([0-5]?\d)(?:[.,](\d{1,3}))?\s*$/.exec(s);
    if (!m) return NaN;
    const ms = m[4] ? Number(m[4].padEnd(3, "0")) : 0;
    return ((Number(m[1] || 0) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + ms;
  }
  function formatTime(ms) {
    const p = (n, w) => String(n).padStart(w, "0");
    return `${p(Math.floor(ms / 3600000), 2)}:${p(Math.floor(ms / 60000) % 60, 2)}:${p(Math.floor(ms / 1000) % 60, 2)}.${p(ms % 1000, 3)}`;
  }

  // A failure to save is announced as an alert in the error style, anything else as a status,
  // so that a screen reader hears "not saved" at once and no failure looks like success.
  function setStatus(text, state) {
    const [shown, other] = failing.has(state) ? [problem, status] : [status, problem];
    if (shown.textContent !== text) shown.textContent = text;
    shown.dataset.state = state;
    if (other.textContent) other.textContent = "";
  }

  // showProblems puts messages in a cue's list and marks its fields (all of them, or only
  // those given), or clears them.
  function showProblems(li, messages, severity, only) {
    const ul = field(li, "cue-issues");
    ul.replaceChildren(...messages.map((m) => {
      const item = document.createElement("li");
      item.className = "issue-" + severity;
      item.textContent = m;
      return item;
    }));
    for (const el of li.querySelectorAll("input, textarea")) {
      if (severity === "error" && messages.length && (!only || only.includes(el))) {
        el.setAttribute("aria-invalid", "true");
        el.setAttribute("aria-describedby", ul.id);
      } else {
        el.removeAttribute("aria-invalid");
        el.removeAttribute("aria-describedby");
      }
    }
  }

  function collect() {
    const cues = [];
    const bad = [];
    for (const li of items()) {
      const start = parseTime(field(li, "cue-start").value);
      const end = parseTime(field(li, "cue-end").value);
      const wrong = [];
      if (Number.isNaN(start)) wrong.push(field(li, "cue-start"));
      if (Number.isNaN(end)) wrong.push(field(li, "cue-end"));
      if (wrong.length) bad.push({ li, wrong });
      cues.push({ start_ms: start, end_ms: end, text: field(li, "cue-text").value });
    }
    return { cues, bad };
  }

  function renumber() {
    items().forEach((li, i) => {
      const n = i + 1;
      li.querySelector("legend").textContent = msg("cue").replace("{n}", String(n));
      for (const part of ["start", "end", "text"]) {
        const el = field(li, "cue-" + part);
        const label = li.querySelector(`label[for="${CSS.escape(el.id)}"]`);
        el.id = `cue-${n}-${part}`;
        if (label) label.htmlFor = el.id;
      }
      const ul = field(li, "cue-issues");
      ul.id = `cue-${n}-issues`;
      for (const el of li.querySelectorAll("[aria-describedby]")) el.setAttribute("aria-describedby", ul.id);
    });
  }

  function updateVersion() {
    root.dataset.version = String(version);
    for (const input of document.querySelectorAll("input.js-version")) input.value = String(version);
  }

  function showResult(data) {
    const bar = document.getElementById("cue-progress");
    if (bar) {
      bar.value = data.progress;
      bar.textContent = `${data.progress} %`;
    }
    const text = document.getElementById("cue-progress-text");
    if (text && data.progress_text) text.textContent = data.progress_text;
    const byCue = new Map();
    for (const is of data.issues || []) {
      // An empty cue is plain to see at the cue; the report and the progress count them.
      if (is.cue > 0 && is.code !== "empty-cue") {
        if (!byCue.has(is.cue)) byCue.set(is.cue, { messages: [], severity: "warning" });
        const entry = byCue.get(is.cue);
        entry.messages.push(is.short || is.message);
        if (is.severity === "error") entry.severity = "error";
      }
    }
    items().forEach((li, i) => {
      const entry = byCue.get(i + 1);
      showProblems(li, entry ? entry.messages : [], entry ? entry.severity : "warning");
    });
    const report = document.getElementById("cue-report");
    if (report && data.report) {
      const parts = [];
      const para = (text) => {
        const p = document.createElement("p");
        p.textContent = text;
        return p;
      };
      for (const [text, messages, cls] of [
        [data.report.errors_text, data.report.errors, "issues-errors"],
        [data.report.warnings_text, data.report.warnings, "issues-warnings"],
      ]) {
        if (!messages || !messages.length) continue;
        const ul = document.createElement("ul");
        ul.className = cls;
        for (const m of messages) {
          const li = document.createElement("li");
          li.textContent = m;
          ul.append(li);
        }
        parts.push(para(text), ul);
      }
      if (!parts.length) parts.push(para(data.report.none_text));
      report.replaceChildren(...parts);
    }
  }

  async function readJSON(resp) {
    try {
      return await resp.json();
    } catch {
      return {};
    }
  }

  async function send() {
    const { cues, bad } = collect();
    for (const { li, wrong } of bad) showProblems(li, [msg("time")], "error", wrong);
    if (bad.length) {
      setStatus(msg("invalid"), "invalid");
      return;
    }
    dirty = false;
    setStatus(msg("saving"), "saving");
    let resp;
    try {
      resp = await fetch(`/admin/tracks/${encodeURIComponent(trackID)}/cues`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": root.dataset.csrf },
        body: JSON.stringify({ version, cues }),
      });
    } catch {
      resp = null; // offline for a moment
    }
    if (resp && resp.ok) {
      const data = await readJSON(resp);
      version = data.version;
      updateVersion();
      showResult(data);
      retryDelay = 2000;
      if (dirty) schedule();
      else setStatus(msg("saved"), "saved");
      return;
    }
    dirty = true;
    const data = resp ? await readJSON(resp) : {};
    if (resp && resp.status === 409) {
      stale = true;
      setStatus(data.error || msg("stale"), "stale");
      reloadWrap.hidden = false;
      return;
    }
    if (resp && resp.status === 422) {
      const lis = items();
      for (const c of data.cues || []) if (lis[c.cue - 1]) showProblems(lis[c.cue - 1], c.messages, "error");
      setStatus(data.error || msg("invalid"), "invalid");
      return;
    }
    if (resp && resp.status >= 400 && resp.status < 500 && resp.status !== 429 && resp.status !== 408) {
      setStatus(data.error || msg("unsaved"), "failed"); // signed out, too large: retrying will not help
      return;
    }
    setStatus(msg("retry"), "retry");
    clearTimeout(timer);
    timer = setTimeout(save, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  }

  async function save() {
    clearTimeout(timer);
    while (inflight) await inflight;
    if (!dirty || stale) return;
    inflight = send();
    try {
      await inflight;
    } finally {
      inflight = null;
    }
  }

  function schedule() {
    if (!editable || stale) return;
    dirty = true;
    setStatus(msg("unsaved"), "unsaved");
    clearTimeout(timer);
    timer = setTimeout(save, debounce);
  }

  // ---- the video -----------------------------------------------------------------------------
  let preview = null;
  function refreshPreview() {
    if (!video || typeof VTTCue === "undefined") return;
    if (!preview) {
      preview = video.addTextTrack("subtitles", "", root.querySelector(".cue-text")?.lang || "");
      preview.mode = "showing";
    }
    for (const c of [...(preview.cues || [])]) preview.removeCue(c);
    for (const c of collect().cues) {
      if (c.end_ms > c.start_ms && c.text.trim()) preview.addCue(new VTTCue(c.start_ms / 1000, c.end_ms / 1000, c.text));
    }
  }

  // A cue played with Ctrl+Enter stops at its end: checked every frame, as "timeupdate" comes
  // only every quarter of a second or so.
  let stopAt = null;
  function checkStop() {
    if (stopAt === null || video.paused) return;
    if (video.currentTime >= stopAt) {
      video.pause();
      stopAt = null;
      return;
    }
    requestAnimationFrame(checkStop);
  }
  if (video) {
    video.addEventListener("playing", () => requestAnimationFrame(checkStop));
    video.addEventListener("timeupdate", checkStop);
  }
  function play(li) {
    if (!video || !li) return;
    const start = parseTime(field(li, "cue-start").value);
    const end = parseTime(field(li, "cue-end").value);
    if (Number.isNaN(start)) return;
    video.currentTime = start / 1000;
    stopAt = Number.isNaN(end) || end <= start ? null : end / 1000;
    video.play().catch(() => {});
  }

  // ---- moving, splitting, merging ------------------------------------------------------------
  function focusCue(li, caret) {
    if (!li) return;
    const ta = field(li, "cue-text");
    ta.focus();
    if (caret !== undefined) ta.setSelectionRange(caret, caret);
    li.scrollIntoView({ block: "nearest" });
    if (video && video.paused) {
      const start = parseTime(field(li, "cue-start").value);
      if (!Number.isNaN(start) && video.readyState > 0) video.currentTime = start / 1000;
    }
  }

  function move(li, step) {
    const all = items();
    if (!li) return focusCue(all[0]);
    focusCue(all[all.indexOf(li) + step]);
  }

  function split(li) {
    const ta = field(li, "cue-text");
    const start = parseTime(field(li, "cue-start").value);
    const end = parseTime(field(li, "cue-end").value);
    if (document.activeElement !== ta) return setStatus(msg("noSplit"), "info");
    if (Number.isNaN(start) || Number.isNaN(end)) return setStatus(msg("time"), "invalid");
    const pos = ta.selectionStart;
    const text = ta.value;
    // Split where the video is, if it is inside the cue; else in proportion to the text.
    let at = Math.round(start + ((end - start) * (text.length ? pos / text.length : 0.5)));
    if (video && video.currentTime * 1000 > start && video.currentTime * 1000 < end) at = Math.round(video.currentTime * 1000);
    const next = li.cloneNode(true);
    ta.value = text.slice(0, pos).trimEnd();
    field(li, "cue-end").value = formatTime(Math.max(at, start));
    field(next, "cue-text").value = text.slice(pos).trimStart();
    field(next, "cue-start").value = formatTime(Math.max(at, start));
    field(next, "cue-end").value = formatTime(end);
    li.after(next);
    renumber();
    showProblems(li, [], "warning");
    showProblems(next, [], "warning");
    focusCue(next, 0);
    schedule();
    refreshPreview();
  }

  function merge(li) {
    const next = li.nextElementSibling;
    if (!next) return;
    const ta = field(li, "cue-text");
    const a = ta.value.trimEnd();
    const b = field(next, "cue-text").value.trimStart();
    ta.value = a && b ? a + "\n" + b : a + b;
    const end = parseTime(field(next, "cue-end").value);
    if (!Number.isNaN(end)) field(li, "cue-end").value = formatTime(end);
    const srcA = li.querySelector(".cue-source-text");
    const srcB = next.querySelector(".cue-source-text");
    if (srcA && srcB && srcB.textContent && srcA.textContent !== srcB.textContent) {
      srcA.textContent = [srcA.textContent, srcB.textContent].filter(Boolean).join("\n");
    }
    next.remove();
    renumber();
    showProblems(li, [], "warning");
    focusCue(li, a.length);
    schedule();
    refreshPreview();
  }

  document.addEventListener("keydown", (e) => {
    const li = e.target instanceof Element ? e.target.closest("#cue-editor li.cue") : null;
    if (e.altKey && !e.ctrlKey && !e.metaKey && !e.shiftKey) {
      switch (e.code) {
        case "KeyJ":
          move(li, 1);
          break;
        case "KeyK":
          move(li, -1);
          break;
        case "KeyS":
          if (!li || !editable) return;
          split(li);
          break;
        case "KeyM":
          if (!li || !editable) return;
          merge(li);
          break;
        default:
          return;
      }
      e.preventDefault();
    } else if ((e.ctrlKey || e.metaKey) && e.key === "Enter" && li) {
      e.preventDefault();
      play(li);
    }
  });

  if (!editable) return;

  let previewTimer = 0;
  list.addEventListener("input", () => {
    schedule();
    clearTimeout(previewTimer);
    previewTimer = setTimeout(refreshPreview, 300);
  });
  list.addEventListener("change", (e) => {
    // Tidy a time once it is typed: 1:02.5 becomes 00:01:02.500.
    const el = e.target;
    if (el.classList.contains("cue-start") || el.classList.contains("cue-end")) {
      const ms = parseTime(el.value);
      if (!Number.isNaN(ms)) el.value = formatTime(ms);
    }
  });
  refreshPreview();

  // Forms that act on the saved track (submit for review, machine translation) send the
  // changes first, then the version they produced.
  for (const form of document.querySelectorAll("form.js-flush")) {
    form.addEventListener("submit", async (e) => {
      if (!dirty && !inflight) return;
      e.preventDefault();
      await save();
      while (inflight) await inflight;
      if (!dirty && !stale) {
        leaving = true;
        form.submit();
      }
    });
  }
  document.getElementById("reload-cues")?.addEventListener("click", () => {
    leaving = true;
    location.reload();
  });
  window.addEventListener("beforeunload", (e) => {
    if ((dirty || inflight) && !leaving) {
      e.preventDefault();
      e.returnValue = msg("leave");
    }
  });
}
