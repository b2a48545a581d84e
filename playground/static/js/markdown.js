// Discord's markdown, rendered into DOM nodes. Message text only ever becomes text nodes and a few
// elements built here: nothing is parsed as HTML, so a prompt can neither run code nor inject markup.
// Mentions become plain "@name" labels: the page never pings anyone.

const RULES = [
  ["codeblock", /^```(?:[\w+-]*\n)?([\s\S]*?)```/],
  ["code", /^``([^`]+?)``|^`([^`]+)`/],
  ["escape", /^\\([^A-Za-z0-9\s])/],
  ["bold", /^\*\*(?=\S)([\s\S]*?\S)\*\*(?!\*)/],
  ["underline", /^__(?=\S)([\s\S]*?\S)__(?!_)/],
  ["italic", /^\*(?=\S)([\s\S]*?\S)\*(?!\*)/],
  ["italic", /^_(?=\S)([\s\S]*?\S)_(?![A-Za-z0-9_])/],
  ["strike", /^~~(?=\S)([\s\S]*?\S)~~/],
  ["spoiler", /^\|\|([\s\S]+?)\|\|/],
  ["link", /^\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)/],
  ["url", /^https?:\/\/[^\s<]*[^\s<.,:;"')\]]/],
  ["user", /^<@!?(\d+)>/],
  ["role", /^<@&(\d+)>/],
  ["channel", /^<#(\d+)>/],
  ["time", /^<t:(-?\d+)(?::([tTdDfFR]))?>/],
  ["emoji", /^<a?:(\w+):\d+>/],
  ["everyone", /^@(everyone|here)\b/],
];
const SPECIAL = /[`\\*_~|\[h<@]/;

function el(tag, className, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) node.append(child);
  return node;
}

// `names` resolves ids: {user(id), role(id), channel(id)} -> display name or null; onChannel(id) opens one.
export function renderMarkdown(text, names, options = {}) {
  const root = document.createDocumentFragment();
  const pieces = String(text ?? "").split(/(```(?:[\w+-]*\n)?[\s\S]*?```)/);
  for (const piece of pieces) {
    if (!piece) continue;
    if (piece.startsWith("```") && piece.endsWith("```") && piece.length >= 6) {
      root.append(...inline(piece, names, options));
      continue;
    }
    const lines = piece.split("\n");
    lines.forEach((line, index) => {
      const heading = /^(#{1,3}) (.+)$/.exec(line);
      if (options.blocks !== false && line.startsWith("> ")) {
        root.append(el("div", "md-quote", inline(line.slice(2), names, options)));
      } else if (options.blocks !== false && line.startsWith("-# ")) {
        root.append(el("div", "md-subtext", inline(line.slice(3), names, options)));
      } else if (options.blocks !== false && heading) {
        root.append(el(`h${heading[1].length + 2}`, "md-heading", inline(heading[2], names, options)));
      } else {
        root.append(...inline(line, names, options));
        if (index < lines.length - 1) root.append(document.createElement("br"));
      }
    });
  }
  return root;
}

function inline(text, names, options) {
  const out = [];
  let plain = "";
  let rest = text;
  const flush = () => { if (plain) { out.push(document.createTextNode(plain)); plain = ""; } };
  while (rest.length) {
    let matched = null;
    if (SPECIAL.test(rest[0])) {
      for (const [kind, pattern] of RULES) {
        const match = pattern.exec(rest);
        if (match) { matched = [kind, match]; break; }
      }
    }
    if (!matched) {
      plain += rest[0];
      rest = rest.slice(1);
      continue;
    }
    flush();
    const [kind, match] = matched;
    out.push(node(kind, match, names, options));
    rest = rest.slice(match[0].length);
  }
  flush();
  return out;
}

function node(kind, match, names, options) {
  switch (kind) {
    case "codeblock": return el("pre", "md-codeblock", [el("code", "", [match[1]])]);
    case "code": return el("code", "md-code", [match[1] ?? match[2]]);
    case "escape": return document.createTextNode(match[1]);
    case "bold": return el("strong", "", inline(match[1], names, options));
    case "underline": return el("u", "", inline(match[1], names, options));
    case "italic": return el("em", "", inline(match[1], names, options));
    case "strike": return el("s", "", inline(match[1], names, options));
    case "spoiler": return el("span", "md-spoiler", inline(match[1], names, options));
    case "link": return link(match[2], inline(match[1], names, options));
    case "url": return link(match[0], [match[0]]);
    case "user": return mention(`@${names.user(match[1]) ?? "unknown-user"}`);
    case "role": return mention(`@${names.role(match[1]) ?? "deleted-role"}`);
    case "channel": {
      const label = mention(`#${names.channel(match[1]) ?? "unknown"}`);
      if (options.onChannel) label.addEventListener("click", () => options.onChannel(match[1]));
      return label;
    }
    case "time": return timestamp(Number(match[1]), match[2] || "f");
    case "emoji": return document.createTextNode(`:${match[1]}:`);
    case "everyone": return mention(`@${match[1]}`);
    default: return document.createTextNode(match[0]);
  }
}

function link(href, children) {
  const a = el("a", "md-link", children);
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  return a;
}

function mention(label) {
  return el("span", "mention", [label]);
}

// <t:unix:style>: each reader sees their own time zone; relative ones are refreshed by refreshTimes().
export function timestamp(unix, style) {
  const time = el("time", "md-time");
  time.dateTime = new Date(unix * 1000).toISOString();
  time.dataset.unix = String(unix);
  time.dataset.style = style;
  time.textContent = formatTime(unix, style);
  time.title = new Date(unix * 1000).toLocaleString();
  return time;
}

export function formatTime(unix, style) {
  const date = new Date(unix * 1000);
  switch (style) {
    case "t": return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    case "T": return date.toLocaleTimeString();
    case "d": return date.toLocaleDateString();
    case "D": return date.toLocaleDateString([], { dateStyle: "long" });
    case "F": return date.toLocaleString([], { dateStyle: "full", timeStyle: "short" });
    case "R": return relative(unix);
    default: return date.toLocaleString([], { dateStyle: "long", timeStyle: "short" });
  }
}

function relative(unix) {
  const seconds = Math.round(unix - Date.now() / 1000);
  const format = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  const steps = [[60, "second"], [60, "minute"], [24, "hour"], [30, "day"], [12, "month"], [Infinity, "year"]];
  let value = seconds;
  for (const [size, unit] of steps) {
    if (Math.abs(value) < size) return format.format(value, unit);
    value = Math.round(value / size);
  }
  return format.format(value, "year");
}

export function refreshTimes(root = document) {
  for (const time of root.querySelectorAll("time.md-time[data-style='R']")) {
    time.textContent = formatTime(Number(time.dataset.unix), "R");
  }
}
