// Small DOM helpers shared by the views: element building without innerHTML (article text and
// entity names come from the wire, so nothing is ever parsed as HTML), and formatters.

const SVG_NS = "http://www.w3.org/2000/svg";

function build(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.setAttribute("class", value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "testid") el.dataset.testid = value;
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** h("a", {href, class, testid, onclick}, ...children) */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** The same for SVG elements. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// Entity ids hold ':' and other characters: they travel quoted in the hash and in API paths.
export const entityHref = (id) => `#/entity/${encodeURIComponent(id)}`;
export const articleHref = (id, stanceId) =>
  `#/article/${encodeURIComponent(id)}${stanceId ? `?stance=${encodeURIComponent(stanceId)}` : ""}`;

export function entityLink(id, name, attrs = {}) {
  if (!id) return h("span", { class: "entity-name" }, name || "unknown");
  return h("a", { href: entityHref(id), class: "entity-name", ...attrs }, name || id);
}

export function articleTitle(title, id) {
  return title && title.trim() ? title : `Untitled article ${id}`;
}

const dateFmt = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
const timeFmt = new Intl.DateTimeFormat("en-GB", {
  day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: "UTC",
});

function parse(value) {
  if (!value) return null;
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function fmtDate(value) {
  const d = parse(value);
  return d ? dateFmt.format(d) : value || "—";
}

export function fmtTime(value) {
  const d = parse(value);
  return d ? `${timeFmt.format(d)} UTC` : value || "—";
}

export function fmtSigned(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return `${value > 0 ? "+" : value < 0 ? "−" : "±"}${Math.abs(value).toFixed(digits)}`;
}

export const POLARITY_VERB = { support: "supports", oppose: "opposes", neutral: "mentions" };

export function polarityChip(polarity) {
  return h("span", { class: `chip pol-${polarity}`, dataset: { polarity } }, polarity);
}

/** A message box for empty, failed and refused states. */
export function notice(text, kind = "empty", testid = "notice") {
  return h("p", { class: `notice notice-${kind}`, testid }, text);
}
