// Small behaviours without inline script (the Content Security Policy allows none).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-close-panel]")) {
    const panel = document.getElementById("panel");
    if (panel) {
      panel.replaceChildren();
    } else {
      history.back();
    }
  }
});

// Live board status: "Live" while the socket is open; offline until it is back, then resync.
let wasOffline = false;
function setLiveStatus(state) {
  const status = document.getElementById("live-status");
  if (!status) return;
  status.dataset.state = state;
  status.textContent = state === "live" ? status.dataset.live : status.dataset.offline;
}
document.addEventListener("htmx:wsOpen", () => {
  setLiveStatus("live");
  if (wasOffline) {
    wasOffline = false;
    document.body.dispatchEvent(new Event("board-changed"));  // catch up on what we missed
  }
});
document.addEventListener("htmx:wsClose", () => {
  wasOffline = true;
  setLiveStatus("offline");
});
