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
// While the page is in view (a nurse looking at her phone) the wait is capped at 3 s, so that
// her board is back within seconds of the connection; in the background, at 15 s.
const RETRY_CAP_MS = 15000;
const RETRY_CAP_VISIBLE_MS = 3000;
let attempts = 0;
if (window.htmx) {
  // (Not "style": the Content Security Policy refuses style attributes, and a swap that carried
  // one over, e.g. an empty one a tool left on a textarea, would be reported as a violation.)
  htmx.config.attributesToSettle = ["class", "width", "height"];
  htmx.config.wsReconnectDelay = () => {
    const cap = document.visibilityState === "visible" ? RETRY_CAP_VISIBLE_MS : RETRY_CAP_MS;
    const delay = Math.min(1000 * 2 ** attempts, cap) * (0.5 + Math.random() / 2);
    attempts += 1;
    return delay;
  };
}

// Closed for good by the server, never retried: she is no longer on the team (4403) or her
// session signed out (4401). The board says so, not "reconnecting", and stays so.
const CLOSED_FOR_GOOD = { 4403: "ended", 4401: "signedout" };

// state: live, offline, ended or signedout; the text is the status's data-<state>.
function setLiveStatus(state) {
  const status = document.getElementById("live-status");
  if (!status || Object.values(CLOSED_FOR_GOOD).includes(status.dataset.state)) return;
  if (state !== "live") wasOffline = true;
  status.dataset.state = state;
  status.textContent = status.dataset[state];
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
  setLiveStatus(CLOSED_FOR_GOOD[event.detail.event.code] || "offline");
});
document.addEventListener("htmx:wsBeforeMessage", (event) => {
  const message = event.detail.message;
  if (typeof message !== "string" || !message.startsWith("{")) return;
  event.preventDefault(); // a status, not a change: nothing to swap
  const status = JSON.parse(message);
  expectStatus(status.every * 1000 + GRACE_MS);
  if (!status.live) {
    setLiveStatus("offline");
  } else if (navigator.onLine !== false) {  // (the device says it is offline: not live)
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

document.addEventListener("htmx:wsAfterMessage", (event) => {
  if (heardNotice(event.detail.message)) return; // for the bell, not the board
  const signal = document.getElementById("live-signal");
  if (!signal) return;
  // A member presents a resident (or one this member may not see: "focus_hidden"). A screen
  // that follows fetches what the meeting presents now; the presenter's own panel shows it.
  if (signal.dataset.event === "meeting.focus" || signal.dataset.event === "meeting.focus_hidden") {
    const follow = document.getElementById("follow-chair");
    const shown = document.getElementById("resident-panel");
    const own = shown && signal.dataset.resident && shown.dataset.resident === signal.dataset.resident;
    if (follow && follow.checked && !own) follow.dataset.pending = "true";
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
  followHint();
  if (typing()) return;
  const follow = document.getElementById("follow-chair");
  if (follow && follow.checked && follow.dataset.pending) {
    // One at a time (htmx would drop a second request): the answer comes back here.
    if (Date.now() - (Number(follow.dataset.loading) || 0) < 5000) return;
    follow.dataset.loading = String(Date.now());
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

// Following, with a form open: the panel stays (what she typed is never replaced), and a line by
// the checkbox says why and when it follows; gone once it does (or she stops following).
function followHint() {
  const follow = document.getElementById("follow-chair");
  const hint = document.getElementById("follow-hint");
  if (!follow || !hint) return;
  const waiting = follow.checked && Boolean(follow.dataset.pending) && typing();
  const text = waiting ? hint.dataset.waiting : "";
  if (hint.textContent !== text) hint.textContent = text;
}

function showInPanel(url, why) {
  if (url && document.getElementById("panel")) {
    htmx.ajax("GET", url, { target: "#panel", swap: "innerHTML", headers: { "X-Live-Refresh": why } });
  }
}

document.addEventListener("htmx:afterRequest", (event) => {
  const headers = event.detail.requestConfig && event.detail.requestConfig.headers;
  const follow = document.getElementById("follow-chair");
  if (follow && headers && headers["X-Live-Refresh"] === "follow") {
    delete follow.dataset.loading;
    setTimeout(catchUp); // (after this answer is swapped in)
  }
});

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

// Follow the chair: opting in shows the resident the chair has open now. The choice is kept
// per meeting in this browser (localStorage), so that it survives a reload.
function followKey(follow) {
  return `kernteam.follow.${follow.dataset.meeting}`;
}
document.addEventListener("change", (event) => {
  if (event.target.id !== "follow-chair") return;
  try {
    localStorage.setItem(followKey(event.target), event.target.checked ? "1" : "0");
  } catch (e) { /* storage refused (private mode): the choice lasts as long as the page */ }
  if (event.target.checked) {
    event.target.dataset.pending = "true";
    catchUp();
  } else {
    followHint();
  }
});
function restoreFollow() {
  const follow = document.getElementById("follow-chair");
  if (!follow || follow.dataset.restored) return;
  follow.dataset.restored = "true";
  let kept = null;
  try { kept = localStorage.getItem(followKey(follow)); } catch (e) { kept = null; }
  if (kept === "1" && !follow.checked) {
    follow.checked = true;
    follow.dataset.pending = "true";
    catchUp();
  }
}
document.addEventListener("DOMContentLoaded", restoreFollow);
document.addEventListener("htmx:load", restoreFollow);

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

// --- On the road: a patchy connection (scenario 2) ------------------------------------------
// A tap or a submit while the connection is down is not lost without a word: a bar at the
// bottom of the screen (within reach of the thumb) says it was not sent, what was typed stays
// where it is, and one tap sends it again (with what the form holds then). Requests the page
// makes by itself (refreshes, catching up) stay quiet: they are made again anyway.
let unsent = null; // {elt, verb, path} of the last user request that did not go out

function byTheUser(detail) {
  if (unsent && detail.elt === unsent.elt) return true; // (sent again from the bar)
  const trigger = detail.requestConfig && detail.requestConfig.triggeringEvent;
  return Boolean(trigger) && ["click", "submit", "change", "input", "keyup", "search"].includes(trigger.type);
}

function notSent(detail, message) {
  const words = document.querySelector("[data-unsent]");
  if (!words || !detail.requestConfig) return;
  unsent = { elt: detail.elt, verb: detail.requestConfig.verb, path: detail.requestConfig.path };
  const old = document.getElementById("unsent");
  if (old) old.remove(); // (a new alert, so that it is announced again)
  const bar = document.createElement("div");
  bar.id = "unsent";
  bar.className = "unsent";
  bar.setAttribute("role", "alert");
  const text = document.createElement("span");
  text.textContent = message || words.dataset.unsent;
  const again = document.createElement("button");
  again.type = "button";
  again.dataset.resend = "";
  again.textContent = words.dataset.resend;
  bar.append(text, again);
  document.body.append(bar);
}

function sentAfterAll() {
  unsent = null;
  const bar = document.getElementById("unsent");
  if (bar) bar.remove();
}

document.addEventListener("htmx:beforeRequest", (event) => {
  if (navigator.onLine === false && byTheUser(event.detail)) {
    event.preventDefault(); // it cannot go out: say so rather than wait for an error
    notSent(event.detail);
  }
});
for (const failure of ["htmx:sendError", "htmx:timeout"]) {
  document.addEventListener(failure, (event) => {
    if (byTheUser(event.detail)) notSent(event.detail);
  });
}
document.addEventListener("htmx:afterRequest", (event) => {
  if (unsent && event.detail.elt === unsent.elt && event.detail.successful) sentAfterAll();
});
document.addEventListener("htmx:afterSettle", () => {
  if (unsent && !unsent.elt.isConnected) sentAfterAll(); // (its form was closed or replaced)
});
document.addEventListener("click", (event) => {
  if (!event.target.closest("#unsent [data-resend]")) return;
  if (!unsent || !unsent.elt.isConnected) {
    sentAfterAll();
    return;
  }
  htmx.ajax(unsent.verb.toUpperCase(), unsent.path, { source: unsent.elt });
});

// Sent again, a write is not done twice: the connection may have dropped after the request
// arrived, with only the answer lost. Each form (or button) sends its write with a one-time key,
// the same key when it is sent again, a new one once an answer came. The server
// (frontend/idempotency.py) does a key's write once: a repeat answers that it was sent already
// (the page says so and shows the result) or, while the first is still under way, 409 with
// what to do (the bar again: sent again later, it finds the first done).
const oneTimeKeys = new WeakMap(); // form or button → the key of its write not yet answered

function newKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function stillUnderWay(xhr) {
  return Boolean(xhr) && xhr.status === 409 && xhr.getResponseHeader("Kernteam-Once") === "running";
}

document.addEventListener("htmx:configRequest", (event) => {
  const detail = event.detail;
  const elt = detail.elt;
  if (detail.verb === "get" || !elt || !elt.closest || !elt.closest("form, button")) return;
  if (!oneTimeKeys.has(elt)) oneTimeKeys.set(elt, newKey());
  detail.headers["Idempotency-Key"] = oneTimeKeys.get(elt);
});
document.addEventListener("htmx:afterRequest", (event) => {
  const xhr = event.detail.xhr;
  if (xhr && xhr.status > 0 && !stillUnderWay(xhr)) oneTimeKeys.delete(event.detail.elt);
});
document.addEventListener("htmx:responseError", (event) => {
  if (stillUnderWay(event.detail.xhr) && byTheUser(event.detail)) {
    notSent(event.detail, event.detail.xhr.responseText);
  }
});

// A short word at the bottom of the screen (where the bar was), gone after a few seconds.
let saidLately = null;
function say(text) {
  let note = document.getElementById("said");
  if (!note) {
    note = document.createElement("div");
    note.id = "said";
    note.className = "said";
    note.setAttribute("role", "status");
    document.body.append(note);
  }
  clearTimeout(saidLately);
  requestAnimationFrame(() => { note.textContent = text; }); // (a change: it is announced)
  saidLately = setTimeout(() => { note.textContent = ""; }, 8000);
}

// It had arrived after all: say so, and show what it did where the form was. The form sent is
// replaced (what it held is saved); the board catches up too.
document.addEventListener("already-sent", (event) => {
  sentAfterAll();
  const words = document.querySelector("[data-already-sent]");
  if (words) say(words.dataset.alreadySent);
  const source = event.target;
  const shown = source.closest && source.closest("#resident-panel");
  const panel = source.closest && source.closest("#panel");
  setTimeout(() => { // (after htmx is done with this answer)
    if (shown && shown.isConnected) {
      htmx.ajax("GET", shown.dataset.url, { target: "#resident-panel", swap: "outerHTML" });
    } else if (panel) {
      panel.replaceChildren();
    } else if (document.querySelector("main")) {
      htmx.ajax("GET", window.location.href, { target: "main", select: "main", swap: "outerHTML" });
    }
    boardChanged();
  });
});

// What a change has to say (e.g. that a step-up waits for the team) comes into sight: the panel
// was replaced where the form was, often scrolled down on a phone.
document.addEventListener("htmx:afterSettle", () => {
  const said = document.querySelector("#resident-panel .messages:not([data-seen])");
  if (!said) return;
  said.dataset.seen = "true";
  said.scrollIntoView({ block: "nearest" });
});

// The device says it lost the network: the board says offline at once (not after a missed
// heartbeat); back online, the live channel's next status says live again.
window.addEventListener("offline", () => setLiveStatus("offline"));
window.addEventListener("online", () => {
  // An open socket may have kept quiet meanwhile: a fresh one gets a status at once.
  if (liveSocket && currentSocket && currentSocket.readyState === WebSocket.OPEN) liveSocket.reconnect();
});

// --- The bell (issue 19) ------------------------------------------------------------------------
// Its list is fetched each time it opens; its count at page load (hx-trigger="load") and when the
// board's socket hears of a new notice for this member (consumers.py: user_notice).
function refreshBell() {
  const bell = document.getElementById("bell");
  if (!bell || !window.htmx) return;
  if (bell.open) {
    htmx.ajax("GET", bell.dataset.list, { target: "#bell-list", swap: "innerHTML" });
  } else {
    htmx.ajax("GET", `${bell.dataset.list}?part=count`, { target: "#bell-summary", swap: "outerHTML" });
  }
}
function heardNotice(message) {
  if (typeof message !== "string" || !message.includes('id="bell-signal"')) return false;
  refreshBell();
  return true;
}
document.addEventListener("toggle", (event) => {
  if (event.target.id === "bell" && event.target.open) refreshBell();
}, true);
// Closed again by a click elsewhere, or Escape (back on its button).
document.addEventListener("click", (event) => {
  const bell = document.getElementById("bell");
  if (bell && bell.open && !bell.contains(event.target)) bell.open = false;
});
document.addEventListener("keydown", (event) => {
  const bell = document.getElementById("bell");
  if (event.key !== "Escape" || !bell || !bell.open) return;
  bell.open = false;
  bell.querySelector("summary").focus();
});
