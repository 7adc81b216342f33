// Small behaviours without inline script (the Content Security Policy allows none).
function boardChanged() {
  document.body.dispatchEvent(new Event("board-changed"));
}

document.addEventListener("click", (event) => {
  if (event.target.closest("[data-close-panel]")) {
    const panel = document.getElementById("panel");
    if (panel) {
      panel.replaceChildren();
      boardChanged(); // a card dropped but not moved goes back to its place
    } else {
      history.back();
    }
  }
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

// Irreversible steps ask first (closing a meeting).
document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// Live: "Live" only while the server says the live channel delivers: it sends a status frame
// ({"live": true|false, "every": seconds}) when the board connects, then every few seconds,
// and at once when the channel stops delivering. A status overdue means the socket is not
// delivering either: the board says so and connects again. Back to live, it catches up.
const GRACE_MS = 4000; // a status may be this late (a slow network, a busy machine)
let wasOffline = false;
let overdue = null;
let liveSocket = null; // the socket of this page's board (htmx's wrapper), to reconnect it
let currentSocket = null; // (a replaced socket's late close says nothing about the new one)

// Reconnect after a refusal or a failure, sooner than htmx's default (up to a minute), later
// with every attempt (1, 2, 4 … 15 s), with jitter, so that every board of a region does not
// come back in the same second. The count is ours: htmx resets its own when a socket opens,
// and a board refused during an outage ("try again later", 1013) opens before it closes. Only
// a {"live": true} resets it.
const RETRY_CAP_MS = 15000;
let attempts = 0;
if (window.htmx) {
  htmx.config.wsReconnectDelay = () => {
    const delay = Math.min(1000 * 2 ** attempts, RETRY_CAP_MS) * (0.5 + Math.random() / 2);
    attempts += 1;
    return delay;
  };
}

function setLiveStatus(state) {
  const status = document.getElementById("live-status");
  if (!status) return;
  if (state !== "live") wasOffline = true;
  status.dataset.state = state;
  status.textContent = state === "live" ? status.dataset.live : status.dataset.offline;
}

function expectStatus(withinMs) {
  clearTimeout(overdue);
  overdue = setTimeout(() => {
    setLiveStatus("offline");
    // An open socket that went silent is replaced; a closed one htmx retries by itself.
    if (liveSocket && currentSocket && currentSocket.readyState === WebSocket.OPEN) {
      liveSocket.reconnect();
    }
    expectStatus(withinMs);
  }, withinMs);
}

document.addEventListener("htmx:wsOpen", (event) => {
  liveSocket = event.detail.socketWrapper;
  currentSocket = event.detail.event.target;
  expectStatus(GRACE_MS * 2); // the first status comes right after the handshake
});
document.addEventListener("htmx:wsClose", (event) => {
  if (event.detail.event.target !== currentSocket) return;
  clearTimeout(overdue);
  setLiveStatus("offline");
});
document.addEventListener("htmx:wsBeforeMessage", (event) => {
  const message = event.detail.message;
  if (typeof message !== "string" || !message.startsWith("{")) return;
  event.preventDefault(); // a status, not a change: nothing to swap
  const status = JSON.parse(message);
  expectStatus(status.every * 1000 + GRACE_MS);
  if (!status.live) {
    setLiveStatus("offline");
  } else {
    attempts = 0;
    setLiveStatus("live");
    if (wasOffline) {
      wasOffline = false;
      boardChanged(); // catch up on what we missed
    }
  }
});

// A live event names what changed; the board and agenda re-fetch themselves. The open panel
// is refreshed too when it shows that resident. Nothing a user is typing is ever replaced: a
// refresh (or the chair's next resident) waits until the open form is sent or closed.
function typing() {
  // An open form, or a click in the panel still on its way (its answer lands in the panel).
  return document.querySelector("#panel form.move-form, #panel .htmx-request") !== null;
}

document.addEventListener("htmx:wsAfterMessage", () => {
  const signal = document.getElementById("live-signal");
  if (!signal) return;
  if (signal.dataset.event === "meeting.focus") {
    const follow = document.getElementById("follow-chair");
    if (follow) {
      follow.dataset.focusUrl = signal.dataset.focusUrl;
      if (follow.checked) follow.dataset.pending = "true";
    }
  }
  boardChanged();
  const panel = document.getElementById("resident-panel");
  const news = panel && parseFloat(signal.dataset.at) > parseFloat(panel.dataset.rendered);
  // (A consent changed for a resident this member may not see (now): the panel checks
  // whether it may still show its own.)
  const unnamed = signal.dataset.event === "resident.consent_changed" && !signal.dataset.resident;
  if (news && (panel.dataset.resident === signal.dataset.resident || unnamed)) {
    panel.dataset.stale = "true";
  }
  catchUp();
});
document.addEventListener("htmx:afterSettle", catchUp);

function catchUp() {
  if (typing()) return;
  const follow = document.getElementById("follow-chair");
  if (follow && follow.checked && follow.dataset.pending) {
    delete follow.dataset.pending;
    showInPanel(follow.dataset.focusUrl, "follow");
    return;
  }
  const panel = document.getElementById("resident-panel");
  if (panel && panel.dataset.stale) {
    delete panel.dataset.stale;
    showInPanel(panel.dataset.url, "panel");
  }
}

function showInPanel(url, why) {
  if (url && document.getElementById("panel")) {
    htmx.ajax("GET", url, { target: "#panel", swap: "innerHTML", headers: { "X-Live-Refresh": why } });
  }
}

// A refresh that arrives while the user has started typing is dropped (and retried later).
document.addEventListener("htmx:beforeSwap", (event) => {
  const headers = event.detail.requestConfig && event.detail.requestConfig.headers;
  const why = headers && headers["X-Live-Refresh"];
  if (why && typing()) {
    event.detail.shouldSwap = false;
    const again = why === "follow" ? document.getElementById("follow-chair") : document.getElementById("resident-panel");
    if (again) again.dataset[why === "follow" ? "pending" : "stale"] = "true";
  }
});

// A panel the user may no longer see (consent narrowed or withdrawn meanwhile) answers 404:
// the panel closes and says so, rather than keep showing what it showed.
document.addEventListener("htmx:responseError", (event) => {
  const panel = document.getElementById("panel");
  const target = event.detail.target;
  if (panel && event.detail.xhr.status === 404 && target && (target === panel || panel.contains(target))) {
    const note = document.createElement("p");
    note.className = "meeting-on";
    note.setAttribute("role", "status");
    note.textContent = panel.dataset.gone;
    panel.replaceChildren(note);
    boardChanged();
  }
});

// Follow the chair: opting in shows the resident the chair has open now.
document.addEventListener("change", (event) => {
  if (event.target.id === "follow-chair" && event.target.checked) {
    event.target.dataset.pending = "true";
    catchUp();
  }
});

// The card's menu loads the moves the user may take when it is opened (the board stays light).
document.addEventListener("toggle", (event) => {
  const menu = event.target;
  if (!menu.classList || !menu.classList.contains("card-menu") || !menu.open || menu.dataset.loaded) return;
  menu.dataset.loaded = "true";
  htmx.ajax("GET", `${cardUrl(menu.closest(".card"))}moves/`, { target: menu.querySelector(".menu-items"), swap: "innerHTML" });
}, true);

function cardUrl(card) {
  return card.querySelector(".name a").getAttribute("href");
}

// Drag a card onto another column: the card moves there at once, and the panel opens with the
// form for that step change, or says why it cannot be taken (the board then puts it back).
let dragged = null;
document.addEventListener("dragstart", (event) => {
  const card = event.target.closest && event.target.closest(".card[draggable]");
  if (!card) return;
  dragged = card;
  card.classList.add("dragging");
  event.dataTransfer.effectAllowed = "move";
  event.dataTransfer.setData("text/plain", card.id);
});
document.addEventListener("dragend", () => {
  if (dragged) dragged.classList.remove("dragging");
  document.querySelectorAll(".drop-target").forEach((c) => c.classList.remove("drop-target"));
  dragged = null;
});
document.addEventListener("dragover", (event) => {
  const column = dragged && event.target.closest && event.target.closest("[data-drop-state]");
  if (!column) return;
  event.preventDefault();
  document.querySelectorAll(".drop-target").forEach((c) => c !== column && c.classList.remove("drop-target"));
  column.classList.add("drop-target");
});
document.addEventListener("drop", (event) => {
  const column = dragged && event.target.closest && event.target.closest("[data-drop-state]");
  if (!column) return;
  event.preventDefault();
  const card = dragged;
  const to = column.dataset.dropState;
  column.classList.remove("drop-target");
  if (card.dataset.state === to) return;
  column.querySelector(".cards").prepend(card);
  htmx.ajax("GET", `${cardUrl(card)}?to=${encodeURIComponent(to)}`, { target: "#panel", swap: "innerHTML" });
});
