// Viewing figures without tracking people. Every <video> that carries
//   data-beacon-video="{id}" data-beacon-channel="site|embed" data-beacon-token="{signed token}"
// reports, with navigator.sendBeacon to POST /beacon (a form body, no cookie):
//   - one view per page load, once playback has really started (half a second played), with the
//     subtitle language showing then ("off" for none);
//   - a subtitle language chosen later, once per language and page load;
//   - each quarter of the video played (25, 50, 75, 100 %, counted from what was really played,
//     so seeking ahead does not count);
//   - in an embed, the embedding site's origin (from document.referrer), which the server
//     reduces to a domain or "unknown".
// Nothing identifies the viewer; nothing is stored in the browser.

const endpoint = "/beacon";
const quartiles = [25, 50, 75, 100];
// Playback reports its position a few times a second: a quarter counts when what was played
// comes within this many seconds of it.
const slack = 0.25;

// embedder returns the origin of the page that frames this one, or "" when it is not framed:
// from document.referrer, else (a page that sends no referrer) the browser's list of ancestor
// origins where there is one.
function embedder() {
  if (window.top === window.self) return "";
  try {
    if (document.referrer) return new URL(document.referrer).origin;
    if (location.ancestorOrigins && location.ancestorOrigins.length > 0) return location.ancestorOrigins[0];
  } catch {
    // An unreadable referrer counts as unknown.
  }
  return "";
}

function showingLang(video) {
  for (const t of video.textTracks) {
    if (t.mode === "showing" && (t.kind === "subtitles" || t.kind === "captions")) return t.language || "off";
  }
  return "off";
}

function playedSeconds(video) {
  let s = 0;
  for (let i = 0; i < video.played.length; i++) s += video.played.end(i) - video.played.start(i);
  return s;
}

function attach(video) {
  const { beaconVideo: id, beaconChannel: channel, beaconToken: token } = video.dataset;
  if (!/^[0-9]+$/.test(id || "") || (channel !== "site" && channel !== "embed") || !token) return;
  const send = (fields) => {
    const body = new URLSearchParams({ v: id, c: channel, t: token, ...fields });
    if (channel === "embed") body.set("ref", embedder());
    if (navigator.sendBeacon) navigator.sendBeacon(endpoint, body);
  };
  let viewed = false;
  const langs = new Set();
  const reached = new Set();

  const progress = () => {
    const played = playedSeconds(video);
    if (!viewed) {
      if (video.paused || played < 0.5) return;
      viewed = true;
      const lang = showingLang(video);
      langs.add(lang);
      send({ e: "view", lang });
    }
    const d = video.duration;
    if (!Number.isFinite(d) || d <= 0) return;
    for (const q of quartiles) {
      if (!reached.has(q) && played + slack >= (d * q) / 100) {
        reached.add(q);
        send({ e: "quartile", q: String(q) });
      }
    }
  };
  video.addEventListener("timeupdate", progress);
  video.addEventListener("ended", progress);
  video.textTracks.addEventListener("change", () => {
    if (!viewed) return;
    const lang = showingLang(video);
    if (langs.has(lang)) return;
    langs.add(lang);
    send({ e: "subtitles", lang });
  });
}

for (const video of document.querySelectorAll("video[data-beacon-video]")) attach(video);
