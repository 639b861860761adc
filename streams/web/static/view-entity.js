// The entity page (#/entity/<id>): who supports / opposes it, what it supports / opposes, its
// sentiment over time, its stances both ways, its quotes. Topics (ids "topic:…") are not entities in
// the store: their page is the stances that target them.

import { get } from "./api.js";
import { timelineChart } from "./charts.js";
import { articleHref, articleTitle, entityLink, fmtDate, fmtSigned, h, notice } from "./dom.js";
import { stanceList } from "./stances.js";

function barOf(percent) {
  // set through the CSSOM, not a style attribute, which a strict Content-Security-Policy refuses
  const bar = h("span", { class: "bar" });
  bar.style.width = `${percent}%`;
  return bar;
}

function relationBox(title, edges, key) {
  const box = h("section", { class: `relation rel-${key}`, testid: `relation-${key}` }, h("h3", {}, title));
  if (!edges || !edges.length) {
    box.append(h("p", { class: "muted small" }, "none"));
    return box;
  }
  const max = Math.max(...edges.map((e) => e.count));
  box.append(h("ul", {}, edges.slice(0, 12).map((e) =>
    h("li", { testid: "relation-item", dataset: { id: e.id, count: String(e.count) } },
      entityLink(e.id, e.name),
      h("span", { class: "bar-wrap", title: `${e.count} stance${e.count === 1 ? "" : "s"}` },
        barOf(Math.max(6, (e.count / max) * 100))),
      h("span", { class: "muted small" }, ` ${e.count} · ${fmtSigned(e.mean_sentiment)} · ${fmtDate(e.last_at)}`)))));
  if (edges.length > 12) box.append(h("p", { class: "muted small" }, `and ${edges.length - 12} more`));
  return box;
}

async function quotesPanel(id, signal) {
  const page = await get("quotes", { speaker: id, limit: 20 }, { signal });
  const panel = h("section", { class: "panel", testid: "entity-quotes" }, h("h2", {}, "Quotes"));
  if (!page.items?.length) {
    panel.append(notice("No attributed quotes.", "empty", "entity-quotes-empty"));
    return panel;
  }
  panel.append(h("ul", { class: "quotes" }, page.items.map((qt) =>
    h("li", { testid: "quote-item", dataset: { articleId: qt.article_id } },
      h("blockquote", { class: `quote ${qt.kind}` }, qt.kind === "direct" ? `“${qt.text}”` : qt.text),
      h("div", { class: "muted small" },
        qt.cue ? `${qt.cue} · ` : "", qt.kind, " · ",
        h("a", { href: articleHref(qt.article_id) }, articleTitle(qt.article_title, qt.article_id)),
        ` · ${fmtDate(qt.at)}`)))));
  return panel;
}

async function timelinePanel(id, signal) {
  const data = await get(`entities/${encodeURIComponent(id)}/timeline`, {}, { signal });
  const panel = h("section", { class: "panel", testid: "entity-timeline" }, h("h2", {}, "Sentiment over time"));
  if (!data.days?.length) panel.append(notice("No dated mentions.", "empty"));
  else panel.append(timelineChart(data.days));
  return panel;
}

function settle(result, what) {
  if (result.status === "fulfilled") return result.value;
  if (result.reason?.name === "AbortError") throw result.reason;
  return h("section", { class: "panel" }, notice(`Could not load ${what}: ${result.reason?.message}`, "error"));
}

function edgesOf(stances, polarity) {
  // the store's entity() edges, for a topic: its stances grouped by holder
  const by = new Map();
  for (const st of stances) {
    if (st.polarity !== polarity) continue;
    const e = by.get(st.holder) || { id: st.holder, name: st.holder_name || st.holder, count: 0, sum: 0, last_at: st.at };
    e.count += 1;
    e.sum += st.sentiment;
    if (st.at > e.last_at) e.last_at = st.at;
    by.set(st.holder, e);
  }
  return [...by.values()].map((e) => ({ ...e, mean_sentiment: e.sum / e.count })).sort((a, b) => b.count - a.count);
}

async function renderTopic(view, id, signal) {
  const page = h("div", { class: "entity-page", testid: "entity-page", dataset: { entityId: id } });
  view.append(page);
  const sample = await get("stances", { target: id, limit: 500 }, { signal });
  const items = sample.items || [];
  const name = items[0]?.target_name || id.replace(/^topic:/, "").replace(/-/g, " ");
  document.title = `${name} · stancewire desk`;
  page.append(h("header", { class: "entity-head" },
    h("h1", { testid: "entity-name" }, name), h("span", { class: "badge" }, "topic"),
    h("p", { class: "muted" }, `${items.length}${sample.next ? "+" : ""} stance${items.length === 1 ? "" : "s"} on this topic`)));
  page.append(h("section", { class: "panel relations", testid: "entity-relations" },
    relationBox("Supported by", edgesOf(items, "support"), "supported-by"),
    relationBox("Opposed by", edgesOf(items, "oppose"), "opposed-by")));
  page.append(h("section", { class: "panel", testid: "entity-stances-on" }, h("h2", {}, "Stances on this topic"),
    await stanceList({ target: id }, signal, { testid: "entity-stances-on-list", empty: "No stances on this topic." })));
}

export async function renderEntity(view, id, params, signal) {
  if (id.startsWith("topic:")) return renderTopic(view, id, signal);
  const entity = await get(`entities/${encodeURIComponent(id)}`, {}, { signal });
  document.title = `${entity.name} · stancewire desk`;
  const page = h("div", { class: "entity-page", testid: "entity-page", dataset: { entityId: entity.id } });
  const aliases = (entity.aliases || []).filter((a) => a !== entity.name);
  page.append(h("header", { class: "entity-head" },
    h("h1", { testid: "entity-name" }, entity.name),
    entity.type ? h("span", { class: "badge" }, entity.type.toLowerCase()) : null,
    entity.wikidata ? h("a", { class: "small", href: `https://www.wikidata.org/wiki/${entity.wikidata}`, rel: "noopener", target: "_blank" }, entity.wikidata) : null,
    h("p", { class: "muted" }, `${entity.mentions} mention${entity.mentions === 1 ? "" : "s"} in ${entity.articles} article${entity.articles === 1 ? "" : "s"}`,
      aliases.length ? ` · also written ${aliases.slice(0, 8).join(", ")}${aliases.length > 8 ? "…" : ""}` : "")));
  page.append(h("section", { class: "panel relations", testid: "entity-relations" },
    relationBox("Supported by", entity.supported_by, "supported-by"),
    relationBox("Opposed by", entity.opposed_by, "opposed-by"),
    relationBox(`${entity.name} supports`, entity.supports, "supports"),
    relationBox(`${entity.name} opposes`, entity.opposes, "opposes")));
  view.append(page);
  const [timeline, held, on, quotes] = await Promise.allSettled([
    timelinePanel(entity.id, signal),
    stanceList({ holder: entity.id }, signal, { testid: "entity-stances-held-list", empty: "It holds no stance in the store." }),
    stanceList({ target: entity.id }, signal, { testid: "entity-stances-on-list", empty: "Nobody takes a stance on it in the store." }),
    quotesPanel(entity.id, signal),
  ]);
  if (signal.aborted) return;
  page.append(settle(timeline, "the timeline"));
  page.append(h("div", { class: "two-col" },
    h("section", { class: "panel", testid: "entity-stances-held" }, h("h2", {}, `Stances ${entity.name} takes`), settle(held, "the stances")),
    h("section", { class: "panel", testid: "entity-stances-on" }, h("h2", {}, `Stances on ${entity.name}`), settle(on, "the stances"))));
  page.append(settle(quotes, "the quotes"));
}
