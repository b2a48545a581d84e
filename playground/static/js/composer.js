// The message box under a channel: text, replies (with the "ping" switch Discord offers), files, and
// slash commands ("/" opens the bot's commands; picking one opens its options).

import { CommandForm, CommandMenu, flatten } from "./commands.js";
import { el, displayName } from "./message.js";

const SEND_MESSAGES = 1n << 11n;
const SEND_IN_THREADS = 1n << 38n;
const ATTACH_FILES = 1n << 15n;

export class Composer {
  // app: {connection, state, notice(text, kind)}; channel: the channel/thread object (with permissions).
  constructor(app, channel) {
    this.app = app;
    this.channel = channel;
    this.replyTo = null;
    this.ping = true;
    this.files = [];
    this.form = null;
    this.node = el("div", "composer");
    this.menu = new CommandMenu((entry) => this.pick(entry));
    this.replyBar = el("div", "reply-bar");
    this.replyBar.hidden = true;
    this.fileList = el("div", "file-list");
    this.input = el("textarea", "message-input");
    this.input.rows = 1;
    this.input.setAttribute("aria-label", `Message ${this.label()}`);
    this.picker = el("input");
    Object.assign(this.picker, { type: "file", multiple: true, hidden: true });
    this.picker.addEventListener("change", () => { this.files = [...this.picker.files]; this.showFiles(); });
    const attach = el("button", "attach", ["+"]);
    Object.assign(attach, { type: "button", title: "Upload a file" });
    attach.setAttribute("aria-label", "Upload a file");
    attach.addEventListener("click", () => this.picker.click());
    this.error = el("div", "composer-error");
    this.error.setAttribute("role", "alert");
    this.box = el("div", "input-row", [attach, this.input, this.picker]);
    this.node.append(this.menu.node, this.replyBar, this.fileList, this.box, this.error);
    this.input.addEventListener("input", () => this.typed());
    this.input.addEventListener("keydown", (event) => this.key(event));
    // Leaving the box closes the menu, unless focus came back meanwhile (a click on the menu keeps it).
    this.input.addEventListener("blur", () => setTimeout(() => {
      if (document.activeElement !== this.input) this.menu.hide();
    }, 150));
    this.update(channel);
  }

  label() {
    return this.channel.type === 0 ? `#${this.channel.name}` : this.channel.name;
  }

  // Permissions can change (roles, overwrites): the box says so instead of failing on send.
  update(channel) {
    this.channel = channel;
    const perms = BigInt(channel.permissions || "0");
    const send = channel.type === 0 ? SEND_MESSAGES : SEND_IN_THREADS;
    this.canSend = (perms & send) !== 0n;
    this.canAttach = (perms & ATTACH_FILES) !== 0n;
    this.input.placeholder = this.canSend ? `Message ${this.label()} — type / for commands`
      : "You do not have permission to send messages in this channel.";
    this.input.disabled = !this.canSend && !this.form;
  }

  notice(text) { this.error.textContent = text || ""; }

  reply(message) {
    this.cancelCommand();
    this.replyTo = message;
    const toggle = el("button", "ping-toggle", []);
    toggle.type = "button";
    const paint = () => {
      toggle.textContent = this.ping ? "@ ON" : "@ OFF";
      toggle.title = this.ping ? `${displayName(message.author)} will be pinged` : "No ping";
      toggle.setAttribute("aria-pressed", String(this.ping));
    };
    toggle.addEventListener("click", () => { this.ping = !this.ping; paint(); });
    paint();
    const close = el("button", "close", ["×"]);
    Object.assign(close, { type: "button", title: "Stop replying" });
    close.addEventListener("click", () => this.clearReply());
    this.replyBar.replaceChildren(el("span", "", ["Replying to ", el("strong", "", [displayName(message.author)])]), toggle, close);
    this.replyBar.hidden = false;
    this.input.focus();
  }

  clearReply() {
    this.replyTo = null;
    this.replyBar.hidden = true;
  }

  showFiles() {
    this.fileList.replaceChildren(...this.files.map((f) => el("span", "file-chip", [`📎 ${f.name}`])));
  }

  async typed() {
    const text = this.input.value;
    const match = /^\/(\S*)$/.exec(text);
    if (!match) { this.menu.hide(); return; }
    const commands = flatten(await this.app.connection.commands(this.channel.id));
    const wanted = match[1].toLowerCase();
    if (this.input.value !== text) return; // typed on meanwhile
    this.menu.show(commands.filter((c) => c.name.replace(/ /g, "").startsWith(wanted.replace(/ /g, "")) || c.name.startsWith(wanted)), displayName(this.app.state.bot));
  }

  key(event) {
    if (this.menu.open) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") { event.preventDefault(); this.menu.move(event.key === "ArrowDown" ? 1 : -1); return; }
      if (event.key === "Enter" || event.key === "Tab") { event.preventDefault(); this.menu.pickActive(); return; }
      if (event.key === "Escape") { this.menu.hide(); return; }
    }
    if (event.key === "Escape" && this.replyTo) { this.clearReply(); return; }
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      this.send();
    }
  }

  pick(entry) {
    this.menu.hide();
    this.clearReply();
    this.form = new CommandForm(entry, this.app.state.guild, () => this.run(), () => this.cancelCommand());
    this.box.hidden = true;
    this.node.insertBefore(this.form.node, this.error);
    this.notice("");
    this.form.focus();
  }

  cancelCommand() {
    if (!this.form) return;
    this.form.node.remove();
    this.form = null;
    this.box.hidden = false;
    this.input.value = "";
    this.update(this.channel);
    this.input.focus();
  }

  async run() {
    const form = this.form;
    let values;
    try { values = form.values(); } catch (error) { form.showError(error.message); return; }
    form.showError("");
    const result = await this.app.connection.act("/api/slash", { channel_id: this.channel.id, command: form.entry.name, options: values.options }, values.files);
    if (!result.ok) { form.showError(result.data.message || "That didn't go through."); return; }
    this.cancelCommand();
    this.watch(result.outcome, `/${form.entry.name}`);
  }

  // Discord's client says so when the bot never answered (3 seconds): so does this one.
  async watch(outcome, what) {
    if ((await outcome) === "INTERACTION_FAILURE") this.notice(`${what}: This interaction failed`);
  }

  async send() {
    const content = this.mentions(this.input.value.trim());
    if (!content && !this.files.length) return;
    if (!this.canSend) return;
    const body = { channel_id: this.channel.id, content };
    if (this.replyTo) Object.assign(body, { reply_to: this.replyTo.id, ping_on_reply: this.ping });
    const result = await this.app.connection.act("/api/messages", body, this.files);
    if (!result.ok) { this.notice(result.data.message || "Your message could not be delivered."); return; }
    this.input.value = "";
    this.files = [];
    this.picker.value = "";
    this.showFiles();
    this.clearReply();
    this.notice("");
  }

  // "@VideoBot" typed by hand becomes a real mention, as picking a name in Discord's box would.
  mentions(text) {
    const people = [...this.app.state.guild.members.map((m) => m.user)];
    return text.replace(/@([\w.-]+)/g, (whole, name) => {
      const found = people.find((u) => [u.username, u.global_name].filter(Boolean).some((n) => n.toLowerCase() === name.toLowerCase()));
      return found ? `<@${found.id}>` : whole;
    });
  }
}
