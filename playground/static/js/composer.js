// The message box under a channel: text, replies (with the "ping" switch Discord offers), files, and
// slash commands ("/" opens the bot's commands; picking one opens its options).

import { CommandForm, CommandMenu, flatten, readTyped } from "./commands.js";
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
    this.known = null; // the commands offered here, fetched once per "/" typed: {user, promise}
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

  // The commands this person is offered here; fetched again for each new "/" (roles and people change).
  async commands() {
    const user = this.app.connection.userId;
    if (!this.known || this.known.user !== user) {
      this.known = { user, promise: this.app.connection.commands(this.channel.id).then(flatten) };
    }
    return this.known.promise;
  }

  // Read what is typed now (not when the commands were asked for: typing carries on meanwhile).
  async read() {
    if (!this.input.value.startsWith("/")) return null;
    const commands = await this.commands();
    return this.form ? null : readTyped(this.input.value, commands);
  }

  async typed() {
    if (!this.input.value.startsWith("/") || this.input.value === "/") this.known = null;
    const typed = await this.read();
    if (!typed) { this.menu.hide(); return; }
    // "/video " selects /video, as Discord's client does; the rest goes to its first option.
    if (typed.entry) { this.pick(typed.entry, typed.rest); return; }
    if (!typed.matches.length && /\s/.test(this.input.value)) { this.menu.hide(); return; }
    this.menu.show(typed.matches, displayName(this.app.state.bot));
  }

  key(event) {
    if (this.menu.open) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") { event.preventDefault(); this.menu.move(event.key === "ArrowDown" ? 1 : -1); return; }
      if (event.key === "Tab") { event.preventDefault(); this.menu.pickActive(); return; }
      if (event.key === "Escape") { this.menu.hide(); return; }
    }
    if (event.key === "Escape" && this.replyTo) { this.clearReply(); return; }
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      this.enter();
    }
  }

  // Enter in the box. A selected command with its text is sent as that command; with the picker open, the
  // highlighted command is picked; a "/" text that names no command goes as a plain message, as in Discord.
  async enter() {
    const menuOpen = this.menu.open;
    const highlighted = menuOpen ? this.menu.entries[this.menu.active] : null;
    const typed = await this.read();
    if (this.form) { this.run(); return; } // selected while the commands were on their way
    if (typed?.entry) {
      this.pick(typed.entry, typed.rest);
      this.run();
      return;
    }
    if (typed?.matches.length) {
      const names = typed.matches.map((m) => m.name);
      this.pick(highlighted && names.includes(highlighted.name) ? highlighted : typed.matches[0]);
      return;
    }
    this.menu.hide();
    this.send();
  }

  pick(entry, rest = "") {
    if (this.form) return;
    this.menu.hide();
    this.clearReply();
    this.form = new CommandForm(entry, this.app.state.guild, () => this.run(), () => this.cancelCommand());
    this.box.hidden = true;
    this.node.insertBefore(this.form.node, this.error);
    this.notice("");
    this.form.focus();
    this.form.prefill(rest);
  }

  cancelCommand() {
    if (!this.form) return;
    this.form.node.remove();
    this.form = null;
    this.box.hidden = false;
    this.input.value = "";
    this.known = null;
    this.update(this.channel);
    this.input.focus();
  }

  async run() {
    const form = this.form;
    if (!form || form.sending) return;
    let values;
    try { values = form.values(); } catch (error) { form.showError(error.message); return; }
    form.showError("");
    form.sending = true;
    const result = await this.app.connection.act("/api/slash", { channel_id: this.channel.id, command: form.entry.name, options: values.options }, values.files);
    form.sending = false;
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
    this.known = null;
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
