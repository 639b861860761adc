// The desk's entry point: the token, the hash router, the live feed (app-wide, so alerts keep
// arriving while an entity or article page is open) and the entity search in the top bar.

import { authHeaders, get, token, whenRefused } from "./api.js";
import { clear, entityHref, h } from "./dom.js";
import { LiveFeed } from "./sse.js";
import { renderArticle } from "./view-article.js";
import { renderDesk } from "./view-desk.js";
import { renderEntity } from "./view-entity.js";

const view = document.getElementById("view");
const dialog = document.querySelector("[data-testid=token-dialog]");
const statusEl = document.querySelector("[data-testid=feed-status]");

const MAX_ALERTS = 300;

/** The alerts the desk shows: history from /api/alerts, then live ones, newest first, one per fingerprint. */
export const alerts = {
  items: [],
  seen: new Set(),
  listeners: new Set(),
  add(alert, { live = false } = {}) {
    if (!alert || !alert.fingerprint || this.seen.has(alert.fingerprint)) return;
    this.seen.add(alert.fingerprint);
    const item = { alert, live, receivedAt: Date.now() };
    if (live) this.items.unshift(item);
    else this.items.push(item);
    // live ones in the order they came, above the history in the order the worker made them
    this.items.sort((a, b) => (b.live - a.live) ||
      (a.live ? b.receivedAt - a.receivedAt : String(b.alert.created_at).localeCompare(String(a.alert.created_at))));
    // a desk left open all week keeps the newest few hundred, not every alert since it was opened
    if (this.items.length > MAX_ALERTS) this.items.length = MAX_ALERTS;
    for (const listener of this.listeners) listener(item);
  },
};

const STATE_LABEL = {
  idle: "offline",
  connecting: "connecting…",
  live: "live",
  reconnecting: "reconnecting…",
  unauthorized: "token refused",
  unavailable: "unavailable",
};

function setFeedState(state, detail) {
  statusEl.dataset.state = state;
  statusEl.querySelector(".label").textContent = STATE_LABEL[state] || state;
  statusEl.title = detail ? `Live alert stream: ${detail}` : "Live alert stream";
}

const feed = new LiveFeed("/api/alerts/live", {
  headers: () => authHeaders(),
  onAlert: (alert) => alerts.add(alert, { live: true }),
  onState: (state, detail) => {
    setFeedState(state, detail);
    if (state === "unauthorized") askForToken("The worker refused this token.");
  },
});

async function loadHistory() {
  try {
    const page = await get("alerts", { limit: 30 });
    for (const alert of page.items || []) alerts.add(alert);
  } catch {
    // the feed panel says what is wrong; history is a nicety
  }
}

// ---- token -------------------------------------------------------------------------------------

function takeTokenFromUrl() {
  // "#token=abc" (or "#/entity/x?token=abc"): kept in localStorage, then removed from the address
  // bar so that it is neither bookmarked nor shown over a shoulder.
  const hash = location.hash;
  const match = /(^#|[&?])token=([^&]*)/.exec(hash);
  if (!match) return false;
  token.set(decodeURIComponent(match[2]));
  let after = hash.slice(match.index + match[0].length);
  if (match[1] === "?" && after.startsWith("&")) after = `?${after.slice(1)}`;
  let rest = (hash.slice(0, match.index) + after).replace(/^#/, "").replace(/^[&?]/, "");
  if (!rest.startsWith("/")) rest = "/";
  history.replaceState(null, "", `${location.pathname}${location.search}#${rest}`);
  return true;
}

let refusedShown = false;

function askForToken(message) {
  const error = dialog.querySelector("[data-testid=token-error]");
  error.hidden = !message;
  error.textContent = message || "";
  const input = dialog.querySelector("[data-testid=token-input]");
  input.value = token.get() || "";
  if (!dialog.open) dialog.showModal();
  input.focus();
}

dialog.querySelector("form").addEventListener("submit", (event) => {
  const value = new FormData(event.target).get("token").trim();
  if (!value) {
    event.preventDefault();
    return;
  }
  token.set(value);
  refusedShown = false;
  start();
});

document.querySelector("[data-testid=token-change]").addEventListener("click", () => askForToken(""));

whenRefused((error) => {
  if (error.status === 401) {
    if (!refusedShown) askForToken("The worker refused this token.");
    refusedShown = true;
  }
});

// ---- router ------------------------------------------------------------------------------------

let current = null; // the view's AbortController: leaving a view cancels its pending requests

export function parseRoute(hash) {
  const raw = hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?");
  const params = new URLSearchParams(query);
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "entity" && parts[1]) return { name: "entity", id: parts.slice(1).join("/"), params };
  if (parts[0] === "article" && parts[1]) return { name: "article", id: parts[1], params };
  return { name: "desk", params };
}

async function route() {
  if (current) current.abort();
  current = new AbortController();
  const signal = current.signal;
  const r = parseRoute(location.hash);
  document.body.dataset.view = r.name;
  clear(view);
  window.scrollTo(0, 0); // a new view starts at its top, not where the last one was scrolled to
  view.dataset.route = r.name;
  view.removeAttribute("data-ready");
  try {
    if (r.name === "entity") await renderEntity(view, r.id, r.params, signal);
    else if (r.name === "article") await renderArticle(view, r.id, r.params, signal);
    else await renderDesk(view, r.params, signal, alerts);
  } catch (err) {
    if (signal.aborted || err.name === "AbortError") return;
    clear(view);
    view.append(
      h("section", { class: "panel" },
        h("p", { class: "notice notice-error", testid: "view-error" }, describe(err))),
    );
  }
  if (!signal.aborted) view.dataset.ready = "true"; // tests wait on this, people do not see it
}

function describe(err) {
  if (err.status === 401) return "The worker refused the API token: enter the one set in STANCEWIRE_API_TOKEN.";
  if (err.status === 503) return "The worker's API is not available (is STANCEWIRE_API_TOKEN set on the worker?).";
  if (err.status === 404) return "Not found: the store has nothing under this id.";
  if (err.status === 0) return "The worker did not answer. Is it running?";
  return `Something went wrong: ${err.message}`;
}

// ---- search ------------------------------------------------------------------------------------

function setupSearch() {
  const form = document.querySelector("[data-testid=entity-search]");
  const input = form.querySelector("input");
  const list = form.querySelector("[data-testid=entity-search-results]");
  let timer = null;
  let pending = null;
  const hide = () => {
    list.hidden = true;
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const text = input.value.trim();
      if (pending) pending.abort();
      if (!text) return hide();
      pending = new AbortController();
      try {
        const page = await get("entities", { q: text, limit: 12 }, { signal: pending.signal });
        clear(list);
        for (const e of page.items || []) {
          list.append(
            h("li", {},
              h("a", { href: entityHref(e.id), testid: "entity-search-result", onclick: hide },
                h("span", {}, e.name), h("small", { class: "muted" }, ` ${e.type || ""} · ${e.mentions} mentions`))),
          );
        }
        if (!list.childElementCount) list.append(h("li", { class: "muted" }, "no entity matches"));
        list.hidden = false;
      } catch {
        hide();
      }
    }, 200);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const first = list.querySelector("a");
    if (first) {
      location.hash = first.getAttribute("href");
      hide();
    }
  });
  input.addEventListener("blur", () => setTimeout(hide, 200));
}

// ---- boot --------------------------------------------------------------------------------------

function start() {
  document.querySelector("[data-testid=token-change]").hidden = false;
  feed.start();
  loadHistory();
  route();
}

takeTokenFromUrl();
setupSearch();
window.addEventListener("hashchange", () => {
  if (takeTokenFromUrl()) start(); // a new token: the feed reconnects with it
  else route();
});
if (token.get()) start();
else {
  setFeedState("idle");
  view.append(h("section", { class: "panel" }, h("p", { class: "notice" }, "Enter the API token to open the desk.")));
  askForToken("");
}
