// The share panel of the watch page: the link, optionally at the playing time, and the embed
// code with the chosen interface language and subtitles, each copied with a button. Without
// JavaScript the link and the code are there to select and copy by hand.
const panel = document.querySelector(".share");
const player = document.getElementById("player");
const status = document.getElementById("share-status");

// startParam writes seconds as the t parameter the site reads: "1m30s".
function startParam(s) {
  s = Math.floor(s);
  const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
  return (h ? h + "h" : "") + (m || h ? m + "m" : "") + (s % 60) + "s";
}

function escapeAttr(s) {
  return s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

async function copy(field) {
  try {
    await navigator.clipboard.writeText(field.value);
    status.textContent = status.dataset.copied;
  } catch {
    // No clipboard (an insecure origin, or refused): the text is selected to copy by hand.
    field.select();
    status.textContent = status.dataset.failed;
  }
}

if (panel) {
  const link = document.getElementById("share-link");
  const at = document.getElementById("share-at");
  const atTime = document.getElementById("share-at-time");
  const code = document.getElementById("share-embed");
  const lang = document.getElementById("share-embed-lang");
  const subs = document.getElementById("share-embed-subtitles");

  const updateLink = () => {
    const t = player ? player.currentTime : 0;
    atTime.textContent = startParam(t);
    link.value = at.checked && t >= 1 ? link.dataset.base + "?t=" + startParam(t) : link.dataset.base;
  };
  const updateCode = () => {
    const q = new URLSearchParams({ lang: lang.value });
    if (subs.value) q.set("subtitles", subs.value);
    const src = escapeAttr(code.dataset.base + "?" + q.toString());
    code.value = code.value.replace(/src="[^"]*"/, 'src="' + src + '"');
  };

  at.addEventListener("change", updateLink);
  if (player) player.addEventListener("timeupdate", () => { if (at.checked) updateLink(); else atTime.textContent = startParam(player.currentTime); });
  if (code) { // an unlisted video offers no embed code
    lang.addEventListener("change", updateCode);
    subs.addEventListener("change", updateCode);
  }
  for (const b of panel.querySelectorAll("button[data-copy]")) {
    b.addEventListener("click", () => copy(document.getElementById(b.dataset.copy)));
  }
  for (const p of panel.querySelectorAll("[hidden]")) p.hidden = false;
  updateLink();
}
