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
