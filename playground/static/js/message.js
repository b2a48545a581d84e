// One message as Discord's client draws it: who said it (and with which command), what it replies to,
// its text, attachments (videos play inline), embeds, buttons, its thread, and whether only you see it.

import { renderMarkdown } from "./markdown.js";

const EPHEMERAL = 1 << 6;
const LOADING = 1 << 7;
const COMPONENTS_V2 = 1 << 15;
const JUMP_LINK = /^https:\/\/discord\.com\/channels\/\d+\/(\d+)(?:\/\d+)?$/;
const BUTTON_STYLES = { 1: "primary", 2: "secondary", 3: "success", 4: "danger", 5: "link", 6: "premium" };

export function el(tag, className, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

export function displayName(user) {
  return user ? (user.global_name || user.username) : "unknown";
}

function initials(name) {
  return (name || "?").trim().slice(0, 1).toUpperCase();
}

// A colour per person, stable across reloads, for their avatar.
function avatarHue(id) {
  let hash = 0;
  for (const char of String(id)) hash = (hash * 31 + char.charCodeAt(0)) % 360;
  return hash;
}

function avatar(user) {
  const node = el("div", user?.bot ? "avatar bot" : "avatar", [initials(displayName(user))]);
  if (!user?.bot) node.style.backgroundColor = `hsl(${avatarHue(user?.id)}, 45%, 45%)`;
  node.setAttribute("aria-hidden", "true");
  return node;
}

function clock(iso) {
  const date = new Date(iso);
  const time = el("time", "stamp", [date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })]);
  time.dateTime = date.toISOString();
  time.title = date.toLocaleString();
  return time;
}

// ctx: {names, me, threadOf(id), onReply(m), onButton(m, button, node), onOpenThread(id), onJump(id),
//       onChannel(id), onDismiss(m)}
export function renderMessage(message, ctx) {
  const ephemeral = (message.flags & EPHEMERAL) !== 0;
  const article = el("article", "message");
  article.dataset.id = message.id;
  if (ephemeral) article.classList.add("ephemeral");
  article.setAttribute("aria-label", `Message from ${displayName(message.author)}`);

  const context = contextLine(message, ctx);
  if (context) article.append(context);

  const body = el("div", "body");
  const header = el("header", "meta", [el("span", "author", [displayName(message.author)])]);
  if (message.author?.bot) header.append(el("span", "bot-tag", ["BOT"]));
  header.append(clock(message.timestamp));
  body.append(header);

  if (message.flags & LOADING) {
    body.append(el("div", "thinking", [`${displayName(message.author)} is thinking…`]));
  } else if (message.content) {
    body.append(el("div", "content", [renderMarkdown(message.content, ctx.names, { onChannel: ctx.onChannel })]));
  }
  if (message.edited_timestamp && !(message.flags & LOADING)) {
    body.querySelector(".content")?.append(el("span", "edited", [" (edited)"]));
  }
  const usedInEmbeds = embeddedAttachments(message);
  const files = (message.attachments || []).filter((a) => !usedInEmbeds.has(a.filename));
  if (files.length) body.append(el("div", "attachments", files.map(attachment)));
  for (const embed of message.embeds || []) body.append(renderEmbed(embed, message, ctx));
  if (message.components?.length) body.append(components(message, ctx));
  const thread = ctx.threadOf(message.id);
  if (thread) {
    const chip = el("button", "thread-chip", [el("span", "thread-icon", ["🧵"]), thread.name, el("span", "go", ["Open thread ›"])]);
    chip.type = "button";
    chip.addEventListener("click", () => ctx.onOpenThread(thread.id));
    body.append(chip);
  }
  if (ephemeral) {
    const dismiss = el("button", "link-button", ["Dismiss message"]);
    dismiss.type = "button";
    dismiss.addEventListener("click", () => ctx.onDismiss(message));
    body.append(el("div", "ephemeral-note", [el("span", "eye", ["👁"]), "Only you can see this · ", dismiss]));
  }
  article.append(avatar(message.author), body);

  if (!ephemeral && !(message.flags & LOADING)) {
    const reply = el("button", "reply-action", ["↩ Reply"]);
    reply.type = "button";
    reply.title = `Reply to ${displayName(message.author)}`;
    reply.addEventListener("click", () => ctx.onReply(message));
    article.append(el("div", "actions", [reply]));
  }
  return article;
}

// "Maya used /video" above an interaction's answer, or a quote of the message this one replies to.
function contextLine(message, ctx) {
  const meta = message.interaction_metadata;
  if (meta && meta.type === 2 && meta.name) {
    return el("div", "context", [
      el("span", "context-icon", ["⤷"]),
      el("span", "mention", [`@${displayName(meta.user)}`]),
      " used ",
      el("span", "command-name", [`/${meta.name}`]),
    ]);
  }
  if (message.message_reference && message.type === 19) {
    const replied = message.referenced_message;
    const line = el("div", "context reply-context");
    line.append(el("span", "context-icon", ["↪"]));
    if (!replied) {
      line.append(el("em", "", ["Original message was deleted"]));
      return line;
    }
    const excerpt = replied.content || (replied.embeds?.[0]?.title ?? "") || "Click to see attachment";
    const jump = el("button", "link-button excerpt", [renderMarkdown(excerpt.slice(0, 120), ctx.names, { blocks: false })]);
    jump.type = "button";
    jump.addEventListener("click", () => ctx.onJump(replied.id));
    line.append(el("span", "mention", [`@${displayName(replied.author)}`]), " ", jump);
    return line;
  }
  return null;
}

function embeddedAttachments(message) {
  const names = new Set();
  for (const embed of message.embeds || []) {
    for (const key of ["image", "thumbnail"]) {
      const url = embed[key]?.url || "";
      if (url.startsWith("attachment://")) names.add(url.slice("attachment://".length));
    }
  }
  return names;
}

// attachment://name points at the message's own upload; anything else must be this playground's media
// (the page's policy blocks every other origin, so nothing is fetched from the network).
function resolveUrl(url, message) {
  if (url.startsWith("attachment://")) {
    const name = url.slice("attachment://".length);
    return (message.attachments || []).find((a) => a.filename === name)?.url ?? null;
  }
  return /^https?:\/\//.test(url) ? url : null;
}

function isVideo(file) {
  return (file.content_type || "").startsWith("video/") || /\.(mp4|webm|mov)$/i.test(file.filename);
}

function isImage(file) {
  return (file.content_type || "").startsWith("image/") || /\.(png|jpe?g|gif|webp)$/i.test(file.filename);
}

function attachment(file) {
  if (isVideo(file)) {
    const video = el("video", "attachment-video");
    Object.assign(video, { src: file.url, controls: true, autoplay: true, muted: true, loop: true, playsInline: true });
    video.setAttribute("aria-label", file.filename);
    return el("figure", "attachment", [video, el("figcaption", "", [file.filename])]);
  }
  if (isImage(file)) {
    const image = el("img", "attachment-image");
    Object.assign(image, { src: file.url, alt: file.description || file.filename, loading: "lazy" });
    return el("figure", "attachment", [image]);
  }
  const download = el("a", "file", [`📄 ${file.filename}`]);
  Object.assign(download, { href: file.url, target: "_blank", rel: "noopener noreferrer" });
  return el("div", "attachment", [download]);
}

export function renderEmbed(embed, message, ctx) {
  const box = el("div", "embed");
  box.style.borderLeftColor = embed.color != null ? `#${Number(embed.color).toString(16).padStart(6, "0")}` : "";
  if (embed.author?.name) box.append(el("div", "embed-author", [embed.author.name]));
  if (embed.title) {
    const title = el("div", "embed-title", [renderMarkdown(embed.title, ctx.names, { blocks: false })]);
    box.append(title);
  }
  if (embed.description) {
    box.append(el("div", "embed-description", [renderMarkdown(embed.description, ctx.names, { onChannel: ctx.onChannel })]));
  }
  if (embed.fields?.length) {
    const fields = el("div", "embed-fields");
    for (const field of embed.fields) {
      const node = el("div", field.inline ? "embed-field inline" : "embed-field", [
        el("div", "embed-field-name", [renderMarkdown(field.name, ctx.names, { blocks: false })]),
        el("div", "embed-field-value", [renderMarkdown(field.value, ctx.names, {})]),
      ]);
      fields.append(node);
    }
    box.append(fields);
  }
  const imageUrl = embed.image?.url && resolveUrl(embed.image.url, message);
  if (imageUrl) {
    const image = el("img", "embed-image");
    Object.assign(image, { src: imageUrl, alt: "Embed image" });
    box.append(image);
  }
  if (embed.footer?.text) box.append(el("div", "embed-footer", [embed.footer.text]));
  return box;
}

function components(message, ctx) {
  const holder = el("div", "components");
  const v2 = (message.flags & COMPONENTS_V2) !== 0;
  for (const component of message.components) {
    if (component.type === 1) holder.append(actionRow(component, message, ctx));
    else if (v2) holder.append(layout(component, message, ctx));
  }
  return holder;
}

function actionRow(row, message, ctx) {
  const line = el("div", "action-row");
  for (const item of row.components || []) {
    if (item.type === 2) line.append(button(item, message, ctx));
  }
  return line;
}

// Components V2 (the message flag IS_COMPONENTS_V2): containers, text, sections, media galleries, separators.
function layout(component, message, ctx) {
  switch (component.type) {
    case 17: {
      const box = el("div", "v2-container", (component.components || []).map((c) => layout(c, message, ctx)));
      if (component.accent_color != null) box.style.borderLeftColor = `#${Number(component.accent_color).toString(16).padStart(6, "0")}`;
      return box;
    }
    case 10: return textDisplay(component.content || "", ctx);
    case 9: {
      const texts = el("div", "v2-section-text", (component.components || []).map((c) => layout(c, message, ctx)));
      const accessory = component.accessory?.type === 2 ? button(component.accessory, message, ctx)
        : component.accessory?.type === 11 ? galleryMedia(component.accessory, message) : null;
      return el("div", "v2-section", [texts, accessory]);
    }
    case 12: return el("div", "media-gallery", (component.items || []).map((item) => galleryMedia(item, message)));
    case 14: return el("hr", component.divider === false ? "v2-separator hidden" : "v2-separator");
    case 1: return actionRow(component, message, ctx);
    default: return null;
  }
}

// Text of a V2 message: markdown, where a link to a Discord message opens that thread here.
function textDisplay(content, ctx) {
  const node = el("div", "v2-text", [renderMarkdown(content, ctx.names, { onChannel: ctx.onChannel })]);
  for (const a of node.querySelectorAll("a.md-link")) {
    const jump = JUMP_LINK.exec(a.getAttribute("href") || "");
    if (!jump) continue;
    a.removeAttribute("target");
    a.addEventListener("click", (event) => { event.preventDefault(); ctx.onOpenThread(jump[1]); });
  }
  return node;
}

function galleryMedia(item, message) {
  const url = resolveUrl(item.media?.url || "", message);
  if (!url) return null;
  const name = url.split("?")[0].split("/").pop() || "";
  const file = { url, filename: name, content_type: item.media?.content_type, description: item.description };
  const media = isVideo(file) ? attachment(file).querySelector("video") : attachment(file).querySelector("img, a");
  if (media?.tagName === "VIDEO") media.autoplay = false;
  const figure = el("figure", "gallery-item", [media]);
  if (item.description) figure.append(el("figcaption", "", [item.description]));
  return figure;
}

function button(item, message, ctx) {
  const style = BUTTON_STYLES[item.style] || "secondary";
  const label = [item.emoji?.name ? el("span", "emoji", [item.emoji.name]) : null, item.label || ""];
  if (style === "link") {
    const a = el("a", "button link", [...label, el("span", "external", [" ↗"])]);
    Object.assign(a, { href: item.url, target: "_blank", rel: "noopener noreferrer" });
    return a;
  }
  const node = el("button", `button ${style}`, label);
  node.type = "button";
  node.disabled = Boolean(item.disabled);
  if (!node.disabled) node.addEventListener("click", () => ctx.onButton(message, item, node));
  return node;
}
