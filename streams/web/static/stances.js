// A stance as the desk lists it (who, polarity, whom, the evidence sentence with its cue, the article),
// and paged lists of them.

import { get } from "./api.js";
import { articleHref, articleTitle, entityLink, fmtDate, fmtSigned, h, notice, polarityChip, POLARITY_VERB } from "./dom.js";

function evidenceText(text, cue) {
  const clean = (text || "").trim();
  if (!cue) return [clean];
  const at = clean.search(new RegExp(`\\b${cue.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`, "i"));
  if (at < 0) return [clean];
  return [clean.slice(0, at), h("mark", { class: "cue" }, clean.slice(at, at + cue.length)), clean.slice(at + cue.length)];
}

export function stanceItem(st, { article = true, onSelect = null } = {}) {
  const attrs = {
    class: `stance pol-${st.polarity}`, testid: "stance-item",
    dataset: { stanceId: st.id, articleId: st.article_id, holder: st.holder, target: st.target, polarity: st.polarity },
  };
  const head = h("div", { class: "stance-head" },
    polarityChip(st.polarity), " ",
    entityLink(st.holder, st.holder_name), ` ${POLARITY_VERB[st.polarity] || st.polarity} `,
    entityLink(st.target, st.target_name, { class: `entity-name${st.target_kind === "topic" ? " topic" : ""}` }),
    h("span", { class: "scores muted", title: "sentiment towards the target · the model's confidence" },
      ` sentiment ${fmtSigned(st.sentiment)} · confidence ${Math.round((st.confidence || 0) * 100)}%`));
  const quote = h("blockquote", { class: "evidence" }, evidenceText(st.evidence?.text, st.cue));
  const foot = article
    ? h("div", { class: "stance-foot muted" },
      h("a", { href: articleHref(st.article_id, st.id), testid: "stance-evidence-link", title: "Show the evidence in the article" },
        articleTitle(st.article_title, st.article_id)),
      ` · ${fmtDate(st.at)}`)
    : null;
  const li = h("li", attrs, head, quote, foot);
  if (onSelect) {
    li.tabIndex = 0;
    li.classList.add("selectable");
    li.addEventListener("click", (ev) => {
      if (ev.target.closest("a")) return; // links keep their own meaning
      onSelect(st, li);
    });
    li.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") onSelect(st, li);
    });
  }
  return li;
}

/** A list of /api/stances?<params>, newest first, with a "more" button while the API has a next page. */
export async function stanceList(params, signal, { testid = "stance-list", empty = "No stances.", limit = 20 } = {}) {
  const list = h("ul", { class: "stances", testid });
  const box = h("div", { class: "stance-list-box" }, list);
  let cursor = null;
  const more = h("button", { type: "button", class: "more", testid: `${testid}-more`, hidden: true }, "more");
  box.append(more);
  async function load() {
    const page = await get("stances", { ...params, limit, cursor }, { signal });
    for (const st of page.items || []) list.append(stanceItem(st));
    cursor = page.next;
    more.hidden = !cursor;
    if (!list.childElementCount) box.replaceChildren(notice(empty, "empty", `${testid}-empty`));
  }
  more.addEventListener("click", () => load().catch(() => { more.hidden = true; }));
  await load();
  return box;
}
