// Rendition choice on the watch page: switching the <select> loads the chosen file and keeps
// the position and the playing state. Without JavaScript the default rendition plays.
for (const select of document.querySelectorAll("select[data-player]")) {
  const player = document.getElementById(select.dataset.player);
  if (!player) continue;
  select.addEventListener("change", () => {
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
