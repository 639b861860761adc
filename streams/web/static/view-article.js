// The article page (#/article/<id>[?stance=<stance id>]): the body with entity mentions, quotes and
// stance evidence marked by their offsets; a side list of stances (a click scrolls to its evidence
// and flashes it), entities, quotes and the alerts the article raised.

import { get } from "./api.js";
import { articleTitle, entityHref, entityLink, fmtDate, fmtSigned, fmtTime, h, notice } from "./dom.js";
import { stanceItem } from "./stances.js";

/** [start, end) narrowed to exclude surrounding whitespace (evidence sentences carry their "\n\n"). */
function tighten(body, start, end) {
  let a = Math.max(0, start);
  let b = Math.min(body.length, end);
  while (a < b && /\s/.test(body[a])) a++;
  while (b > a && /\s/.test(body[b - 1])) b--;
  return [a, b];
}

/**
 * Splits the body at every span boundary; each piece knows every span that covers it, so nested and
 * overlapping spans (a mention inside a quote inside an evidence sentence) all show.
 */
function markedBody(article) {
  const body = article.body || "";
  const spans = [];
  for (const e of article.entities || []) {
    for (const m of e.mentions || []) spans.push({ start: m.start, end: m.end, kind: "mention", entity: e });
  }
  for (const qt of article.quotes || []) spans.push({ start: qt.start, end: qt.end, kind: "quote", quote: qt });
  for (const st of article.stances || []) {
    const ev = st.evidence || {};
    const [a, b] = tighten(body, ev.start ?? 0, ev.end ?? 0);
    if (b > a) spans.push({ start: a, end: b, kind: "evidence", stance: st });
  }
  const valid = spans.filter((sp) => sp.start >= 0 && sp.end <= body.length && sp.end > sp.start);
  const cuts = [...new Set([0, body.length, ...valid.flatMap((sp) => [sp.start, sp.end])])].sort((x, y) => x - y);
  const container = h("div", { class: "article-body show-mention show-quote show-evidence", testid: "article-body" });
  for (let i = 0; i < cuts.length - 1; i++) {
    const [a, b] = [cuts[i], cuts[i + 1]];
    const text = body.slice(a, b);
    const over = valid.filter((sp) => sp.start <= a && sp.end >= b);
    if (!over.length) {
      container.append(text);
      continue;
    }
    const mention = over.find((sp) => sp.kind === "mention");
    const quote = over.find((sp) => sp.kind === "quote");
    const evidence = over.filter((sp) => sp.kind === "evidence");
    const classes = ["seg"];
    if (mention) classes.push("m");
    if (quote) classes.push("q");
    if (evidence.length) classes.push("ev", ...new Set(evidence.map((sp) => `ev-${sp.stance.polarity}`)));
    const seg = h("span", {
      class: classes.join(" "),
      dataset: {
        start: String(a), end: String(b),
        entity: mention ? mention.entity.id : null,
        stances: evidence.length ? evidence.map((sp) => sp.stance.id).join(" ") : null,
      },
    }, text);
    const tips = [];
    if (mention) tips.push(`${mention.entity.name} (${(mention.entity.type || "").toLowerCase()})`);
    if (quote) tips.push(`quote${quote.quote.speaker_name ? ` of ${quote.quote.speaker_name}` : ""}`);
    for (const sp of evidence) tips.push(`${sp.stance.holder_name || sp.stance.holder} ${sp.stance.polarity} ${sp.stance.target_name}`);
    seg.title = tips.join(" · ");
    if (mention) {
      seg.addEventListener("click", () => {
        location.hash = entityHref(mention.entity.id);
      });
    }
    container.append(seg);
  }
  return container;
}

export async function renderArticle(view, id, params, signal) {
  const article = await get(`articles/${encodeURIComponent(id)}`, {}, { signal });
  const title = articleTitle(article.title, article.article_id);
  document.title = `${title} · stancewire desk`;
  const body = markedBody(article);
  const stanceItems = new Map();

  function activate(stanceId, { scroll = true } = {}) {
    for (const el of body.querySelectorAll(".seg.active")) el.classList.remove("active", "flash");
    for (const el of stanceItems.values()) el.classList.remove("selected");
    body.dataset.activeStance = stanceId || "";
    if (!stanceId) return;
    const segs = [...body.querySelectorAll(".seg[data-stances]")].filter((el) => el.dataset.stances.split(" ").includes(stanceId));
    for (const el of segs) {
      el.classList.add("active");
      void el.offsetWidth; // restart the flash animation when the same stance is clicked twice
      el.classList.add("flash");
    }
    const item = stanceItems.get(stanceId);
    if (item) {
      item.classList.add("selected");
      if (scroll) item.scrollIntoView({ block: "nearest" });
    }
    if (segs[0] && scroll) segs[0].scrollIntoView({ block: "center", behavior: "smooth" });
    // keep the address a deep link to what is shown, without re-rendering the page
    const hash = `#/article/${encodeURIComponent(article.article_id)}?stance=${encodeURIComponent(stanceId)}`;
    if (location.hash !== hash) history.replaceState(null, "", hash);
  }

  const toggles = h("div", { class: "layer-toggles small", testid: "layer-toggles" },
    ["mention", "quote", "evidence"].map((layer) => h("label", { class: `key key-${layer}` },
      h("input", { type: "checkbox", checked: true, onchange: (ev) => body.classList.toggle(`show-${layer}`, ev.target.checked) }),
      { mention: " entities", quote: " quotes", evidence: " stance evidence" }[layer])));

  const meta = [
    article.source ? article.source : null,
    article.published ? fmtDate(article.published) : `seen ${fmtTime(article.at)}`,
    article.authors?.length ? `by ${article.authors.join(", ")}` : null,
  ].filter(Boolean).join(" · ");
  const main = h("article", { class: "panel article-main", testid: "article-page", dataset: { articleId: article.article_id } },
    h("h1", { testid: "article-title" }, title),
    h("p", { class: "muted" }, meta, article.url ? [" · ", h("a", { href: article.url, rel: "noopener noreferrer", target: "_blank" }, "original")] : null),
    toggles, body);

  const stancesList = h("ul", { class: "stances compact", testid: "article-stances" });
  for (const st of article.stances || []) {
    const li = stanceItem({ ...st, article_id: article.article_id }, { article: false, onSelect: (x) => activate(x.id) });
    stanceItems.set(st.id, li);
    stancesList.append(li);
  }
  const entities = [...(article.entities || [])].sort((a, b) => (b.mentions?.length || 0) - (a.mentions?.length || 0));
  const side = h("aside", { class: "article-side" },
    h("section", { class: "panel" }, h("h2", {}, `Stances (${article.stances?.length || 0})`),
      article.stances?.length ? stancesList : notice("No stance found in this article.", "empty")),
    h("section", { class: "panel", testid: "article-entities" }, h("h2", {}, `Entities (${entities.length})`),
      entities.length
        ? h("ul", { class: "entity-chips" }, entities.map((e) => h("li", {
          testid: "article-entity", dataset: { id: e.id },
          onmouseenter: () => body.querySelectorAll(`.seg[data-entity="${CSS.escape(e.id)}"]`).forEach((el) => el.classList.add("hover")),
          onmouseleave: () => body.querySelectorAll(".seg.hover").forEach((el) => el.classList.remove("hover")),
        }, entityLink(e.id, e.name), h("span", { class: "muted small" },
          ` ${e.mentions?.length || 0}×${e.sentiment !== null && e.sentiment !== undefined ? ` · ${fmtSigned(e.sentiment)}` : ""}`))))
        : notice("No entity found.", "empty")),
    h("section", { class: "panel", testid: "article-quotes" }, h("h2", {}, `Quotes (${article.quotes?.length || 0})`),
      article.quotes?.length
        ? h("ul", { class: "quotes compact" }, article.quotes.map((qt) => h("li", {
          class: "selectable", tabindex: 0, testid: "article-quote",
          onclick: (ev) => {
            if (ev.target.closest("a")) return;
            const seg = [...body.querySelectorAll(".seg.q")].find((el) => Number(el.dataset.start) >= qt.start && Number(el.dataset.end) <= qt.end);
            if (seg) seg.scrollIntoView({ block: "center", behavior: "smooth" });
          },
        }, qt.speaker ? entityLink(qt.speaker, qt.speaker_name) : h("span", { class: "muted" }, "unattributed"),
        h("span", { class: "muted small" }, ` ${qt.cue || ""} (${qt.kind})`),
        h("p", { class: "small" }, qt.text.length > 160 ? `${qt.text.slice(0, 159)}…` : qt.text))))
        : notice("No quote found.", "empty")),
    h("section", { class: "panel", testid: "article-alerts" }, h("h2", {}, "Alerts"),
      article.alerts?.length
        ? h("ul", { class: "plain" }, article.alerts.map((a) => h("li", { class: "small" },
          h("strong", {}, a.subscription_name || a.subscription_id), ` · ${a.kind} · ${fmtTime(a.created_at)}`)))
        : h("p", { class: "muted small" }, "No subscription alerted on it.")));

  view.append(h("div", { class: "article-layout" }, main, side));
  const wanted = params.get("stance");
  if (wanted) {
    if (stanceItems.has(wanted)) activate(wanted);
    else main.insertBefore(notice("That stance is not in this article (re-enriched since?).", "error", "stance-missing"), body);
  }
}
