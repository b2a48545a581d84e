// A channel or thread on screen: its header, its messages (kept live by the feed) and its composer.

import { Composer } from "./composer.js";
import { el, renderMessage } from "./message.js";
import { refreshTimes } from "./markdown.js";

export class Pane {
  // app: {connection, state, names, threadOf, openThread, openChannel, channel(id)}
  constructor(app, root, { closable = false } = {}) {
    this.app = app;
    this.root = root;
    this.closable = closable;
    this.channel = null;
    this.messages = new Map();
    this.dismissed = new Set();
    this.loaded = false;
  }

  show(channel) {
    this.channel = channel;
    this.messages = new Map();
    this.loaded = false;
    this.root.hidden = false;
    const title = el("h1", "pane-title", [channel.type === 0 ? el("span", "hash", ["#"]) : el("span", "hash", ["🧵"]), channel.name]);
    const header = el("header", "pane-header", [title]);
    if (channel.topic) header.append(el("span", "topic", [channel.topic]));
    if (this.closable) {
      const close = el("button", "close", ["×"]);
      Object.assign(close, { type: "button", title: "Close thread" });
      close.setAttribute("aria-label", "Close thread");
      close.addEventListener("click", () => this.app.closeThread());
      header.append(close);
    }
    this.list = el("div", "messages");
    this.list.setAttribute("role", "log");
    this.list.setAttribute("aria-label", `Messages in ${channel.name}`);
    this.list.append(el("div", "loading", ["Loading messages…"]));
    this.composer = new Composer(this.app, channel);
    this.root.replaceChildren(header, this.list, this.composer.node);
    this.root.dataset.channelId = channel.id;
    this.app.connection.open(channel.id);
  }

  hide() {
    this.channel = null;
    this.root.hidden = true;
    this.root.replaceChildren();
    delete this.root.dataset.channelId;
  }

  // The channel object changed (permissions, archived, name): keep the composer honest.
  refresh(channel) {
    if (!this.channel || channel.id !== this.channel.id) return;
    this.channel = channel;
    this.composer.update(channel);
  }

  load(messages) {
    this.messages = new Map(messages.map((m) => [m.id, m]));
    this.loaded = true;
    this.redraw();
  }

  upsert(message) {
    if (!this.channel || message.channel_id !== this.channel.id || !this.loaded) return;
    const isNew = !this.messages.has(message.id);
    this.messages.set(message.id, message);
    if (isNew) {
      const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 80;
      this.list.querySelector(".loading, .empty")?.remove();
      this.list.append(this.render(message));
      if (atBottom || message.author?.id === this.app.state.user.id) this.list.scrollTop = this.list.scrollHeight;
    } else {
      const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 80;
      this.replace(message);
      if (atBottom) this.list.scrollTop = this.list.scrollHeight; // a finished video grows the message
    }
  }

  remove(id) {
    this.messages.delete(id);
    this.list?.querySelector(`[data-id="${CSS.escape(id)}"]`)?.remove();
  }

  replace(message) {
    const old = this.list.querySelector(`[data-id="${CSS.escape(message.id)}"]`);
    if (!old) { this.redraw(); return; }
    // An edited video message keeps its player if the file did not change, so it does not restart.
    const fresh = this.render(message);
    const oldVideo = old.querySelector("video");
    const newVideo = fresh.querySelector("video");
    if (oldVideo && newVideo && oldVideo.src === newVideo.src) newVideo.replaceWith(oldVideo);
    old.replaceWith(fresh);
  }

  redraw() {
    if (!this.list) return;
    const sorted = [...this.messages.values()].filter((m) => !this.dismissed.has(m.id)).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    this.list.replaceChildren(...sorted.map((m) => this.render(m)));
    if (!sorted.length) this.list.append(el("div", "empty", [`This is the start of ${this.channel.type === 0 ? "#" : ""}${this.channel.name}.`]));
    this.list.scrollTop = this.list.scrollHeight;
    refreshTimes(this.list);
  }

  // Threads appear and disappear under their starter messages as the server changes.
  redrawThreadChips() {
    for (const message of this.messages.values()) {
      const node = this.list?.querySelector(`[data-id="${CSS.escape(message.id)}"]`);
      const hasChip = Boolean(node?.querySelector(".thread-chip"));
      if (node && hasChip !== Boolean(this.app.threadOf(message.id))) this.replace(message);
    }
  }

  render(message) {
    return renderMessage(message, {
      names: this.app.names,
      threadOf: (id) => this.app.threadOf(id),
      onReply: (m) => this.composer.reply(m),
      onButton: (m, button, node) => this.press(m, button, node),
      onOpenThread: (id) => this.app.openThread(id),
      onJump: (id) => this.jump(id),
      onChannel: (id) => this.app.openChannel(id),
      onDismiss: (m) => { this.dismissed.add(m.id); this.remove(m.id); },
    });
  }

  jump(id) {
    const node = this.list.querySelector(`[data-id="${CSS.escape(id)}"]`);
    if (!node) return;
    node.scrollIntoView({ block: "center" });
    node.classList.add("flash");
    setTimeout(() => node.classList.remove("flash"), 1200);
  }

  // A button press is a real component interaction; the button waits until Discord would stop spinning.
  async press(message, button, node) {
    node.disabled = true;
    node.classList.add("busy");
    this.composer.notice("");
    const result = await this.app.connection.act("/api/click", { message_id: message.id, custom_id: button.custom_id });
    if (!result.ok) {
      this.composer.notice(result.data.message || "That button did nothing.");
    } else if ((await result.outcome) === "INTERACTION_FAILURE") {
      this.composer.notice(`${button.label || "Button"}: This interaction failed`);
    }
    node.disabled = false;
    node.classList.remove("busy");
  }
}
