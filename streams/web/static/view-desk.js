// The desk (#/): the live alert feed, the stance map of a time window, the newest stances.

import { get } from "./api.js";
import { stanceMap } from "./charts.js";
import { articleHref, articleTitle, clear, entityHref, fmtDate, fmtSigned, fmtTime, h, notice, POLARITY_VERB } from "./dom.js";
import { stanceList } from "./stances.js";

const DAY = 86400000;
const PRESETS = [["1", "1 day"], ["7", "7 days"], ["30", "30 days"], ["90", "90 days"], ["all", "all"]];

function isoDay(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

function party(p) {
  return p ? p.name || p.id : "?";
}

function describeMatch(m) {
  if (m.kind === "entity") return `mentions ${party(m.target)}`;
  if (m.kind === "stance" && m.stance) return `${party(m.holder)} ${POLARITY_VERB[m.stance.polarity] || m.stance.polarity} ${party(m.target)}`;
  if (m.kind === "sentiment") {
    const v = m.scores?.sentiment ?? m.scores?.mean_sentiment ?? m.stance?.sentiment;
    return `sentiment towards ${party(m.target)}${typeof v === "number" ? ` ${fmtSigned(v)}` : ""}`;
  }
  if (m.kind === "shift") return `${party(m.holder)} shifted on ${party(m.target)}`;
  if (m.kind === "spike") return `spike in mentions of ${party(m.target)}`;
  if (m.kind === "position" && m.position) return `${party(m.holder)} moved from ${m.position.from} to ${m.position.to} on ${party(m.target)}`;
  return m.kind;
}

function evidenceQuote(alert) {
  const ev = (alert.evidence || [])[0];
  if (!ev) return null;
  const ctx = ev.context;
  if (ctx && ctx.text && ev.start >= ctx.start && ev.end <= ctx.end) {
    const a = ev.start - ctx.start;
    const b = ev.end - ctx.start;
    return h("blockquote", { class: "evidence" }, ctx.text.slice(0, a), h("mark", {}, ctx.text.slice(a, b)), ctx.text.slice(b));
  }
  return h("blockquote", { class: "evidence" }, (ev.text || "").trim());
}

export function alertItem({ alert, live, receivedAt }, { arriving = false } = {}) {
  const article = alert.article || {};
  const matches = alert.matches || [];
  const items = alert.kind === "digest" && alert.digest
    ? [h("li", {}, `digest of ${alert.digest.count} alert${alert.digest.count === 1 ? "" : "s"} since ${fmtTime(alert.digest.since)}`)]
    : matches.slice(0, 4).map((m) => h("li", {}, describeMatch(m)));
  if (alert.kind !== "digest" && matches.length > 4) items.push(h("li", { class: "muted" }, `and ${matches.length - 4} more`));
  return h("li", {
    class: `alert${arriving ? " arriving" : ""}`, testid: "alert-item",
    dataset: {
      fingerprint: alert.fingerprint, articleId: alert.article_id, subscriptionId: alert.subscription_id,
      kind: alert.kind, live: String(live), receivedAt: String(receivedAt),
    },
  },
  h("div", { class: "alert-head" },
    h("span", { class: "sub", title: alert.subscription_id }, alert.subscription_name || alert.subscription_id),
    alert.kind !== "match" ? h("span", { class: "badge" }, alert.kind) : null,
    h("time", { class: "muted", datetime: alert.created_at }, fmtTime(alert.created_at))),
  h("a", { href: articleHref(alert.article_id), class: "alert-title", testid: "alert-article-link" },
    articleTitle(article.title, alert.article_id)),
  article.published ? h("span", { class: "muted small" }, ` · ${fmtDate(article.published)}`) : null,
  h("ul", { class: "matches" }, items),
  evidenceQuote(alert));
}

function feedPanel(alerts, signal) {
  const list = h("ul", { class: "alert-list", testid: "alert-list" });
  const empty = notice("No alerts yet. They appear here the moment a subscription matches an article.", "empty", "alert-feed-empty");
  const sync = () => {
    empty.hidden = list.childElementCount > 0;
  };
  for (const item of alerts.items) list.append(alertItem(item));
  const listener = (item) => {
    if (!alerts.items.includes(item)) return; // older than everything the desk keeps
    const el = alertItem(item, { arriving: item.live });
    if (item.live) list.prepend(el);
    else {
      // history arriving after the view was drawn: keep newest-first order
      const index = alerts.items.indexOf(item);
      const before = list.children[index];
      if (before) before.before(el);
      else list.append(el);
    }
    while (list.childElementCount > alerts.items.length) list.lastElementChild.remove();
    sync();
  };
  alerts.listeners.add(listener);
  signal.addEventListener("abort", () => alerts.listeners.delete(listener));
  sync();
  return h("section", { class: "panel feed", testid: "alert-feed" },
    h("h2", {}, "Live alerts"),
    h("p", { class: "muted small" }, "Every alert the worker makes, for all subscriptions."),
    empty, list);
}

async function newestDay(signal) {
  try {
    const page = await get("stances", { limit: 1 }, { signal });
    const at = page.items?.[0]?.at;
    return at ? Date.parse(at.slice(0, 10) + "T00:00:00Z") : null;
  } catch (err) {
    if (err.name === "AbortError") throw err;
    return null;
  }
}

async function mapPanel(params, signal) {
  const panel = h("section", { class: "panel map-panel", testid: "stance-map" });
  const newest = await newestDay(signal);
  // The window ends at the newest stance in the store, not at today: a desk replaying last year's
  // wire (or a quiet weekend) still opens on something to look at.
  const end = newest === null ? Date.now() : newest + DAY;
  let since = params.get("since") || "";
  let until = params.get("until") || "";
  const preset = params.get("window") || (since || until ? "" : "30");
  if (preset && preset !== "all") {
    since = isoDay(end - Number(preset) * DAY);
    until = isoDay(end);
  } else if (preset === "all") {
    since = "";
    until = "";
  }
  const go = (next) => {
    const p = new URLSearchParams(next);
    location.hash = `#/?${p.toString()}`;
  };
  const sinceIn = h("input", { type: "date", name: "since", value: since, testid: "window-since", "aria-label": "from" });
  const untilIn = h("input", { type: "date", name: "until", value: until, testid: "window-until", "aria-label": "until (exclusive)" });
  const form = h("form", { class: "window", testid: "window-form", onsubmit: (ev) => {
    ev.preventDefault();
    go({ since: sinceIn.value, until: untilIn.value });
  } },
  h("span", { class: "presets" }, PRESETS.map(([value, label]) =>
    h("button", { type: "button", class: value === preset ? "on" : "", testid: `window-${value}`, onclick: () => go({ window: value }) }, label))),
  h("label", {}, "from ", sinceIn), h("label", {}, " to ", untilIn), h("button", { type: "submit" }, "show"));
  panel.append(
    h("div", { class: "panel-head" },
      h("h2", {}, "Stance map"),
      h("span", { class: "muted small", testid: "window-label" },
        since || until ? `${since ? fmtDate(since) : "the beginning"} – ${until ? fmtDate(isoDay(Date.parse(until) - DAY)) : "now"}` : "all time")),
    form);
  const map = await get("stances/map", { since, until, limit: 80 }, { signal });
  const detail = h("section", { class: "edge-detail", testid: "edge-detail" },
    h("p", { class: "muted" }, "Click a line to read the stances behind it."));
  if (!map.edges || !map.edges.length) {
    panel.append(notice("No stances in this window.", "empty", "stance-map-empty"));
    return panel;
  }
  let selected = null;
  const svg = stanceMap(map, {
    onNode: (id) => {
      location.hash = entityHref(id);
    },
    onEdge: async ({ holder, target, polarity, edge, g }) => {
      if (selected) selected.classList.remove("selected");
      selected = g;
      g.classList.add("selected");
      const names = new Map(map.nodes.map((n) => [n.id, n.name]));
      clear(detail).append(
        h("h3", { testid: "edge-detail-title" },
          `${names.get(holder) || holder} ${POLARITY_VERB[polarity]} ${names.get(target) || target}`,
          h("span", { class: "muted small" }, ` · ${edge[polarity]} stance${edge[polarity] === 1 ? "" : "s"} in the window`)),
      );
      try {
        detail.append(await stanceList({ holder, target, polarity, since, until }, signal, { testid: "edge-stances", limit: 10 }));
      } catch (err) {
        if (err.name !== "AbortError") detail.append(notice(`Could not load the stances: ${err.message}`, "error"));
      }
    },
  });
  panel.append(
    h("div", { class: "map-scroll" }, svg),
    h("p", { class: "legend muted small" },
      h("span", { class: "swatch pol-support" }), "supports ", h("span", { class: "swatch pol-oppose" }), "opposes ",
      h("span", { class: "swatch pol-neutral" }), "neutral · thickness: number of stances · ",
      h("span", { class: "topic-key" }), "topic"),
    detail);
  return panel;
}

export async function renderDesk(view, params, signal, alerts) {
  const grid = h("div", { class: "desk", testid: "desk" });
  const main = h("div", { class: "desk-main" });
  grid.append(feedPanel(alerts, signal), main);
  view.append(grid);
  const [mapResult, recentResult] = await Promise.allSettled([
    mapPanel(params, signal),
    stanceList({}, signal, { testid: "recent-stances-list", empty: "The store holds no stance yet.", limit: 12 }),
  ]);
  if (signal.aborted) return;
  const failed = (result, what) => {
    if (result.reason?.name === "AbortError") throw result.reason;
    return notice(`Could not load ${what}: ${result.reason?.message || result.reason}`, "error");
  };
  main.append(mapResult.status === "fulfilled" ? mapResult.value : h("section", { class: "panel", testid: "stance-map" }, h("h2", {}, "Stance map"), failed(mapResult, "the stance map")));
  main.append(h("section", { class: "panel recent", testid: "recent-stances" },
    h("h2", {}, "Recent stances"),
    recentResult.status === "fulfilled" ? recentResult.value : failed(recentResult, "the stances")));
}
