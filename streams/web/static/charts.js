// The two drawings, hand-made SVG: the stance map (holders on the left, targets on the right, one
// strand per polarity, thickness by count) and an entity's sentiment and mentions over time.

import { fmtDate, fmtSigned, POLARITY_VERB, s } from "./dom.js";

const POLARITIES = ["support", "oppose", "neutral"];

function barycentre(order, pairs) {
  // order the other column by the mean position of the nodes it is tied to: fewer crossings
  const place = new Map(order.map((id, i) => [id, i]));
  const sum = new Map();
  for (const [id, other, weight] of pairs) {
    if (!place.has(other)) continue;
    const [a, b] = sum.get(id) || [0, 0];
    sum.set(id, [a + place.get(other) * weight, b + weight]);
  }
  return (x) => {
    const [a, b] = sum.get(x) || [0, 1];
    return a / b;
  };
}

function truncate(text, max = 26) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * The stance map. onEdge({holder, target, polarity, edge}) on a strand click, onNode(id) on a name.
 * Returns an <svg> sized for its rows; the width follows the container (viewBox).
 */
export function stanceMap({ nodes, edges }, { onEdge, onNode, width = 820 }) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const weight = new Map();
  for (const e of edges) {
    weight.set(`h:${e.holder}`, (weight.get(`h:${e.holder}`) || 0) + e.count);
    weight.set(`t:${e.target}`, (weight.get(`t:${e.target}`) || 0) + e.count);
  }
  let holders = [...new Set(edges.map((e) => e.holder))].sort(
    (a, b) => weight.get(`h:${b}`) - weight.get(`h:${a}`) || a.localeCompare(b),
  );
  const tPos = barycentre(holders, edges.map((e) => [e.target, e.holder, e.count]));
  const targets = [...new Set(edges.map((e) => e.target))].sort((a, b) => tPos(a) - tPos(b) || a.localeCompare(b));
  const hPos = barycentre(targets, edges.map((e) => [e.holder, e.target, e.count]));
  holders = holders.sort((a, b) => hPos(a) - hPos(b) || a.localeCompare(b));

  const row = 26;
  const top = 34;
  const rows = Math.max(holders.length, targets.length);
  const height = top + rows * row + 12;
  const left = 200;
  const right = width - 200;
  const yOf = (list, i) => top + (rows - list.length) * row / 2 + i * row + row / 2;
  const hy = new Map(holders.map((id, i) => [id, yOf(holders, i)]));
  const ty = new Map(targets.map((id, i) => [id, yOf(targets, i)]));
  const maxCount = Math.max(1, ...edges.flatMap((e) => POLARITIES.map((p) => e[p] || 0)));
  const thickness = (n) => 1.5 + 7 * Math.sqrt(n / maxCount);

  const svg = s("svg", {
    class: "stance-map", viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img",
    "aria-label": "Stance map: holders on the left, targets on the right", testid: "stance-map-svg",
  });
  svg.append(
    s("text", { x: left, y: 16, class: "col-head", "text-anchor": "end" }, "holders"),
    s("text", { x: right, y: 16, class: "col-head" }, "targets"),
  );
  const strands = s("g", { class: "strands" });
  svg.append(strands);
  const name = (id) => (byId.get(id) || {}).name || id;
  for (const e of edges) {
    const present = POLARITIES.filter((p) => (e[p] || 0) > 0);
    present.forEach((polarity, k) => {
      const count = e[polarity];
      const offset = (k - (present.length - 1) / 2) * 4; // parallel strands, not one on top of another
      const y1 = hy.get(e.holder) + offset;
      const y2 = ty.get(e.target) + offset;
      const mid = (left + right) / 2;
      const d = `M${left + 6},${y1} C${mid},${y1} ${mid},${y2} ${right - 6},${y2}`;
      const label = `${name(e.holder)} ${POLARITY_VERB[polarity]} ${name(e.target)}: ${count} stance${count === 1 ? "" : "s"}` +
        (e.mean_sentiment !== null && e.mean_sentiment !== undefined ? ` (pair's mean sentiment ${fmtSigned(e.mean_sentiment)})` : "");
      const g = s("g", {
        class: `edge pol-${polarity}`, testid: "map-edge", tabindex: 0, role: "button", "aria-label": label,
        dataset: { holder: e.holder, target: e.target, polarity, count: String(count) },
        onclick: () => onEdge({ holder: e.holder, target: e.target, polarity, edge: e, g }),
        onkeydown: (ev) => {
          if (ev.key === "Enter" || ev.key === " ") {
            ev.preventDefault();
            onEdge({ holder: e.holder, target: e.target, polarity, edge: e, g });
          }
        },
      },
      s("title", {}, label),
      s("path", { d, class: "line", "stroke-width": thickness(count).toFixed(2) }),
      s("path", { d, class: "hit", "stroke-width": Math.max(12, thickness(count) + 6).toFixed(2) }));
      strands.append(g);
    });
  }
  const node = (id, x, y, side) => {
    const n = byId.get(id) || { id, name: id, type: null };
    const topic = n.type === "TOPIC" || id.startsWith("topic:");
    const label = truncate(n.name || id);
    return s("g", {
      class: `node ${side}${topic ? " topic" : ""}`, testid: "map-node", tabindex: 0, role: "link",
      dataset: { id, side }, onclick: () => onNode(id),
      onkeydown: (ev) => { if (ev.key === "Enter") onNode(id); },
    },
    s("title", {}, `${n.name || id}${n.type ? ` (${n.type.toLowerCase()})` : ""}`),
    topic
      ? s("rect", { x: x - 5, y: y - 5, width: 10, height: 10, rx: 2 })
      : s("circle", { cx: x, cy: y, r: 5 }),
    s("text", { x: side === "holder" ? x - 10 : x + 10, y: y + 4, "text-anchor": side === "holder" ? "end" : "start" }, label));
  };
  const nodesG = s("g", { class: "nodes" });
  for (const id of holders) nodesG.append(node(id, left, hy.get(id), "holder"));
  for (const id of targets) nodesG.append(node(id, right, ty.get(id), "target"));
  svg.append(nodesG);
  return svg;
}

function eachDay(first, last) {
  const out = [];
  const d = new Date(`${first}T00:00:00Z`);
  const end = new Date(`${last}T00:00:00Z`);
  while (d <= end && out.length < 2000) {
    out.push(d.toISOString().slice(0, 10));
    d.setUTCDate(d.getUTCDate() + 1);
  }
  return out;
}

/** Mean sentiment per day (a line on −1…+1) over mentions per day (bars), gaps kept as gaps. */
export function timelineChart(days, { width = 1100 } = {}) {
  const known = new Map(days.map((d) => [d.day, d]));
  let all = eachDay(days[0].day, days[days.length - 1].day);
  if (all.length < 7) {
    // a few days alone would stretch into slabs: show at least a week around them
    const first = new Date(`${all[0]}T00:00:00Z`);
    first.setUTCDate(first.getUTCDate() - Math.floor((7 - all.length) / 2));
    const last = new Date(first);
    last.setUTCDate(last.getUTCDate() + 6);
    all = eachDay(first.toISOString().slice(0, 10), last.toISOString().slice(0, 10));
  }
  const pad = { l: 44, r: 12, t: 14, b: 26 };
  const sentH = 110;
  const gap = 18;
  const barH = 50;
  const height = pad.t + sentH + gap + barH + pad.b;
  const plotW = width - pad.l - pad.r;
  const step = plotW / all.length;
  const xOf = (i) => pad.l + step * i + step / 2;
  const ySent = (v) => pad.t + (1 - (v + 1) / 2) * sentH;
  const maxMentions = Math.max(1, ...days.map((d) => d.mentions));
  const barTop = pad.t + sentH + gap;
  const barW = Math.min(28, Math.max(2, step * 0.7));

  const svg = s("svg", {
    class: "timeline", viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img",
    "aria-label": "Mean sentiment and mentions per day", testid: "timeline-svg",
  });
  for (const v of [1, 0.5, 0, -0.5, -1]) {
    svg.append(
      s("line", { x1: pad.l, x2: width - pad.r, y1: ySent(v), y2: ySent(v), class: v === 0 ? "axis zero" : "axis" }),
      s("text", { x: pad.l - 6, y: ySent(v) + 4, class: "tick", "text-anchor": "end" }, fmtSigned(v, 1)),
    );
  }
  svg.append(
    s("text", { x: pad.l, y: pad.t - 3, class: "tick" }, "mean sentiment"),
    s("text", { x: pad.l, y: barTop - 3, class: "tick" }, `mentions (max ${maxMentions})`),
  );
  // the line, broken where a day has no sentiment
  let d = "";
  let pen = false;
  all.forEach((day, i) => {
    const v = known.get(day)?.mean_sentiment;
    if (v === null || v === undefined) {
      pen = false;
      return;
    }
    d += `${pen ? "L" : "M"}${xOf(i).toFixed(1)},${ySent(v).toFixed(1)}`;
    pen = true;
  });
  if (d) svg.append(s("path", { d, class: "sent-line" }));
  all.forEach((day, i) => {
    const entry = known.get(day);
    if (!entry) return;
    const bh = (entry.mentions / maxMentions) * barH;
    const tip = `${fmtDate(day)}: ${entry.mentions} mention${entry.mentions === 1 ? "" : "s"} in ${entry.articles} article${entry.articles === 1 ? "" : "s"}, mean sentiment ${fmtSigned(entry.mean_sentiment)}`;
    svg.append(
      s("rect", {
        x: xOf(i) - barW / 2, width: barW, y: barTop + barH - bh, height: Math.max(1, bh),
        class: "bar", testid: "timeline-day", dataset: { day },
      }, s("title", {}, tip)),
    );
    const v = entry.mean_sentiment;
    if (v !== null && v !== undefined) {
      svg.append(s("circle", { cx: xOf(i), cy: ySent(v), r: 3.5, class: `dot ${v > 0.05 ? "pos" : v < -0.05 ? "neg" : "neu"}` },
        s("title", {}, tip)));
    }
  });
  const labels = Math.min(all.length, Math.max(2, Math.floor(plotW / 110)));
  const shown = new Set();
  for (let k = 0; k < labels; k++) shown.add(Math.round((k * (all.length - 1)) / Math.max(1, labels - 1)));
  for (const i of shown) {
    svg.append(s("text", { x: xOf(i), y: height - 8, class: "tick", "text-anchor": "middle" }, fmtDate(all[i])));
  }
  return svg;
}
