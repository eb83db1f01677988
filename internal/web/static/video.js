// Adaptive streaming. A video with an HLS master playlist (data-hls) plays it natively where the
// browser can (Safari, iOS), else through the embedded hls.js (data-hls-lib), loaded only then,
// which picks the quality by itself; the quality <select> then offers "Auto" and each stream.
// Where neither works, or hls.js fails for good, the MP4 renditions play as without JavaScript.
// The start time of the page's address (#t=… on the MP4) carries over. player.hls is the hls.js
// instance, for the browser's console (and the browser test).
async function setupStream(player) {
  const master = player.dataset.hls;
  if (!master) return;
  const source = player.querySelector("source");
  const mp4 = source ? source.src : "";
  const start = Number((/#t=([0-9.]+)$/.exec(mp4) || [])[1]) || 0;
  // The page holds the MP4 back (preload none) while a stream may play; where the MP4 plays
  // after all, its metadata loads as on a page without a stream.
  const playMP4 = () => { player.preload = "metadata"; };
  if (player.canPlayType("application/vnd.apple.mpegurl")) {
    player.dataset.stream = "native";
    player.src = master + (start ? `#t=${start}` : "");
    player.preload = "metadata";
    // The quality is the player's own choice: the MP4 list would only fight it.
    const select = document.querySelector(`select[data-player="${player.id}"]`);
    if (select) select.closest("p").hidden = true;
    return;
  }
  if (!player.dataset.hlsLib || !("MediaSource" in window || "ManagedMediaSource" in window)) return playMP4();
  try {
    await new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = player.dataset.hlsLib;
      s.onload = resolve;
      s.onerror = reject;
      document.head.append(s);
    });
  } catch {
    return playMP4(); // the MP4 plays on
  }
  const Hls = window.Hls;
  if (!Hls || !Hls.isSupported()) return playMP4();
  // No worker (the page's Content-Security-Policy allows none from blob: URLs), and no subtitles
  // of its own: the <track> elements, which the transcript and the track choice use, show them.
  const hls = new Hls({ enableWorker: false, enableWebVTT: false, enableIMSC1: false, capLevelToPlayerSize: true,
    startPosition: start || -1 });
  const playing = !player.paused;
  player.dataset.stream = "hls";
  player.hls = hls;
  let restore = () => {};
  hls.on(Hls.Events.MANIFEST_PARSED, () => {
    restore = qualityChoice(player, hls);
    if (playing) player.play().catch(() => {});
  });
  hls.on(Hls.Events.LEVEL_SWITCHED, (_, data) => {
    const level = hls.levels[data.level];
    if (level) player.dataset.level = String(Math.min(level.width, level.height));
  });
  hls.on(Hls.Events.ERROR, (_, data) => {
    if (!data.fatal) return;
    // Give up on streaming: back to the MP4, where the viewer was.
    const at = player.currentTime;
    hls.destroy();
    delete player.hls;
    player.dataset.stream = "mp4";
    restore();
    playMP4();
    player.src = mp4;
    player.addEventListener("loadedmetadata", () => { player.currentTime = at; }, { once: true });
  });
  hls.loadSource(master);
  hls.attachMedia(player);
}

// qualityChoice turns the rendition <select> into hls.js's levels: "Auto" (its own choice by the
// connection) and each stream, labelled as the MP4 renditions were. It returns what puts the
// MP4 choice back.
function qualityChoice(player, hls) {
  const select = document.querySelector(`select[data-player="${player.id}"]`);
  if (!select) return () => {};
  const mp4Options = [...select.options];
  const labels = new Map([...select.options].map((o) => [o.dataset.lines, o.textContent]));
  const auto = new Option(select.dataset.autoLabel || "Auto", "-1", true, true);
  const levels = hls.levels.map((l, i) => {
    const lines = String(Math.min(l.width, l.height));
    return new Option(labels.get(lines) || `${lines}p`, String(i));
  });
  select.replaceChildren(auto, ...levels);
  select.addEventListener("change", () => {
    if (player.dataset.stream === "hls") hls.currentLevel = Number(select.value);
  });
  return () => select.replaceChildren(...mp4Options);
}

for (const player of document.querySelectorAll("video[data-hls]")) setupStream(player);

// Rendition choice on the watch page: switching the <select> loads the chosen file and keeps
// the position and the playing state. Without JavaScript the default rendition plays. While
// hls.js streams, the same <select> chooses its quality instead (qualityChoice).
for (const select of document.querySelectorAll("select[data-player]")) {
  const player = document.getElementById(select.dataset.player);
  if (!player) continue;
  select.addEventListener("change", () => {
    if (player.dataset.stream === "hls") return;
    const at = player.currentTime;
    const playing = !player.paused;
    player.src = select.value;
    player.addEventListener("loadedmetadata", () => {
      player.currentTime = at;
      if (playing) player.play().catch(() => {});
    }, { once: true });
    player.load();
  });
}

// Subtitle tracks on the watch page. The server marks the track in the page's language as the
// default; a viewer's own choice is remembered in localStorage (by language, kind and label, so
// it carries over to other videos) and restored on the next visit. The transcript lists the
// chosen track's cues: the one playing is marked with aria-current, and choosing a line seeks
// the video there. Without JavaScript the default track shows and the transcript is readable.
const trackChoiceKey = "sistercity.track";

function loadChoice() {
  try {
    const raw = localStorage.getItem(trackChoiceKey);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

function saveChoice(el) {
  const value = el ? { lang: el.srclang, kind: el.kind, label: el.label } : { off: true };
  try {
    localStorage.setItem(trackChoiceKey, JSON.stringify(value));
  } catch {
    // Storage may be full or disabled: the choice is then only for this page.
  }
}

// findRemembered returns the track element that best matches a stored choice: the same
// language, kind and label, else the same language and kind, else the same language.
function findRemembered(els, choice) {
  return els.find((t) => t.srclang === choice.lang && t.kind === choice.kind && t.label === choice.label) ||
    els.find((t) => t.srclang === choice.lang && t.kind === choice.kind) ||
    els.find((t) => t.srclang === choice.lang) || null;
}

function setupTracks(select) {
  const player = document.getElementById(select.dataset.tracksFor);
  if (!player) return;
  const list = document.querySelector(`[data-transcript-for="${player.id}"]`);
  const section = list ? list.closest("section") : null;
  const els = [...player.querySelectorAll("track")];
  let current = els.find((t) => t.default) || null;

  const fmt = (s) => {
    s = Math.floor(s);
    const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = String(s % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
  };

  const fill = (el) => {
    if (!list) return;
    if (!el) {
      section.hidden = true;
      return;
    }
    const cues = el.track.cues;
    if (el.readyState !== 2 || !cues) return; // not loaded yet: the load event calls fill again
    const items = [];
    for (const cue of cues) {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.start = cue.startTime.toFixed(3);
      b.dataset.end = cue.endTime.toFixed(3);
      const time = document.createElement("span");
      time.className = "cue-time";
      time.textContent = fmt(cue.startTime);
      // The cue's own markup is read as text only: nothing in it becomes an element.
      const text = cue.getCueAsHTML().textContent.replace(/\s+/g, " ").trim();
      b.append(time, " " + text);
      li.append(b);
      items.push(li);
    }
    list.replaceChildren(...items);
    list.lang = el.srclang;
    section.hidden = false;
    follow();
  };

  const choose = (el, remember) => {
    current = el;
    for (const t of els) {
      if (t !== el) t.track.mode = "disabled";
    }
    if (el) el.track.mode = "showing";
    select.value = el ? el.dataset.trackId : "off";
    if (remember) saveChoice(el);
    if (el && el.readyState !== 2) {
      el.addEventListener("load", () => { if (current === el) fill(el); }, { once: true });
    }
    fill(el);
  };

  // follow marks the transcript line that is playing and keeps it in view of the list.
  const follow = () => {
    if (!list) return;
    const t = player.currentTime;
    let active = null;
    for (const b of list.querySelectorAll("button")) {
      const on = t >= Number(b.dataset.start) && t < Number(b.dataset.end);
      if (on) {
        b.setAttribute("aria-current", "true");
        active = active || b;
      } else {
        b.removeAttribute("aria-current");
      }
    }
    if (active && list.scrollHeight > list.clientHeight) {
      const top = active.offsetTop, bottom = top + active.offsetHeight;
      if (top < list.scrollTop || bottom > list.scrollTop + list.clientHeight) {
        list.scrollTop = top - list.clientHeight / 3;
      }
    }
  };

  // A track chosen by the page's address (the embed's subtitles=…) wins over a remembered one.
  const remembered = "explicit" in select.dataset ? null : loadChoice();
  if (remembered) {
    // The viewer's own choice wins over the page's default: without the attribute the browser
    // does not turn the default track on behind our back.
    for (const t of els) t.default = false;
  }
  if (remembered && remembered.off) choose(null, false);
  else if (remembered && findRemembered(els, remembered)) choose(findRemembered(els, remembered), false);
  else choose(current, false);

  select.addEventListener("change", () => {
    choose(els.find((t) => t.dataset.trackId === select.value) || null, true);
  });
  // A choice made in the player's own captions menu counts too.
  player.textTracks.addEventListener("change", () => {
    const showing = els.find((t) => t.track.mode === "showing") || null;
    if (showing !== current) choose(showing, true);
  });
  player.addEventListener("timeupdate", follow);
  player.addEventListener("seeked", follow);
  if (list) {
    list.addEventListener("click", (ev) => {
      const b = ev.target.closest("button[data-start]");
      if (!b) return;
      // A hair past the start, so that the cue is already showing.
      player.currentTime = Number(b.dataset.start) + 0.001;
      follow();
    });
  }
}

for (const select of document.querySelectorAll("select[data-tracks-for]")) setupTracks(select);
