// Live processing status in the admin. Every element [data-video-status="{id}"] of a video that
// waits for or is in processing is refreshed from /admin/videos/{id}/status every 2 s: its
// [data-status-text] gets the status line and its <progress>, if any, the percentage. Polling
// stops once the processing is ready or has failed; then [data-status-links="{id}"] (the upload
// page's links to the video, its tracks and its watch page) is shown if it is ready. The upload
// page starts the polling when its upload completes (event "video-status:follow"). The texts
// come localized in the JSON; this script only places them. Without JavaScript the page shows
// the status of its loading.
const every = 2000;

function show(id, status) {
  for (const el of document.querySelectorAll(`[data-video-status="${CSS.escape(id)}"]`)) {
    const text = el.querySelector("[data-status-text]");
    if (text && text.textContent !== status.text) text.textContent = status.text;
    const bar = el.querySelector("progress");
    if (bar) {
      if (status.processing === "processing") {
        bar.value = status.progress;
        bar.textContent = `${status.progress}%`;
      }
      bar.hidden = status.done;
    }
    el.dataset.active = String(!status.done);
  }
  if (!status.done) return;
  for (const el of document.querySelectorAll(`[data-status-links="${CSS.escape(id)}"]`)) {
    el.hidden = status.processing !== "ready";
    const watch = el.querySelector("[data-watch]");
    if (watch) {
      watch.hidden = !status.watch;
      if (status.watch) watch.querySelector("a").href = status.watch;
    }
  }
}

// poll asks for id's status until it is done. starting counts the answers still allowed to say
// "no source" just after an upload, before the server has taken the file in.
async function poll(id, starting = 0) {
  let wait = every;
  try {
    const resp = await fetch(`/admin/videos/${encodeURIComponent(id)}/status`, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    });
    // Signed out (sent to the sign-in page), no longer allowed, or the video is gone.
    if (resp.redirected || resp.status === 401 || resp.status === 403 || resp.status === 404) return;
    if (resp.ok) {
      const status = await resp.json();
      if (status.processing === "none" && starting > 0) {
        setTimeout(() => poll(id, starting - 1), wait);
        return;
      }
      show(id, status);
      if (status.done) {
        ids.delete(id);
        return;
      }
    } else {
      wait = every * 3; // the server has trouble: ask less often
    }
  } catch {
    wait = every * 3; // offline for a moment
  }
  setTimeout(() => poll(id, starting), wait);
}

// ids are the videos being polled, so a follow request does not start a second poll.
const ids = new Set();
for (const el of document.querySelectorAll("[data-video-status][data-active='true']")) {
  ids.add(el.dataset.videoStatus);
}
for (const id of ids) setTimeout(() => poll(id), every);

document.addEventListener("video-status:follow", (ev) => {
  const id = String(ev.detail);
  if (ids.has(id)) return;
  ids.add(id);
  poll(id, 5);
});
