// Slash commands as the bot synced them: the menu that "/" opens, and the form of one command's options
// (choices, required ones, members/roles/channels from the server, files through a file picker).

import { el, displayName } from "./message.js";

const SUBCOMMAND = 1, GROUP = 2, STRING = 3, INTEGER = 4, BOOLEAN = 5, USER = 6, CHANNEL = 7, ROLE = 8,
  MENTIONABLE = 9, NUMBER = 10, ATTACHMENT = 11;

// Every runnable entry: "video", "quota set", "videobot settings"…
export function flatten(commands) {
  const out = [];
  for (const command of commands) {
    const subs = (command.options || []).filter((o) => o.type === SUBCOMMAND || o.type === GROUP);
    if (!subs.length) {
      out.push({ name: command.name, description: command.description, options: command.options || [] });
      continue;
    }
    for (const sub of subs) {
      if (sub.type === SUBCOMMAND) {
        out.push({ name: `${command.name} ${sub.name}`, description: sub.description, options: sub.options || [] });
      } else {
        for (const leaf of sub.options || []) {
          out.push({ name: `${command.name} ${sub.name} ${leaf.name}`, description: leaf.description, options: leaf.options || [] });
        }
      }
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

// What a text typed into the message box names, as Discord's client reads it. An exact command name (or
// subcommand path, "quota top") followed by a space selects that command, and what follows is for its first
// option: {entry, rest}. Otherwise the commands whose names begin with what was typed: {matches} (the exact
// name first). A text that is not a command at all: null.
export function readTyped(text, entries) {
  if (!text.startsWith("/")) return null;
  const body = text.slice(1).replace(/^\s+/, "");
  const lower = body.toLowerCase();
  let selected = null;
  for (const entry of entries) {
    if (lower.startsWith(`${entry.name} `) && (!selected || entry.name.length > selected.name.length)) selected = entry;
  }
  if (selected) return { entry: selected, rest: body.slice(selected.name.length + 1).replace(/^\s+/, "") };
  const wanted = lower.replace(/\s+/g, " ");
  const squeezed = wanted.replace(/ /g, "");
  const matches = entries.filter((c) => c.name.startsWith(wanted) || (!wanted.includes(" ") && c.name.replace(/ /g, "").startsWith(squeezed)));
  matches.sort((a, b) => (b.name === wanted) - (a.name === wanted));
  return { matches };
}

export class CommandMenu {
  constructor(onPick) {
    this.node = el("div", "command-menu");
    this.node.setAttribute("role", "listbox");
    this.node.setAttribute("aria-label", "Commands");
    this.node.hidden = true;
    this.entries = [];
    this.active = 0;
    this.onPick = onPick;
  }

  show(entries, botName) {
    this.entries = entries;
    this.active = 0;
    this.node.replaceChildren(el("div", "menu-title", [`Commands of ${botName}`]));
    if (!entries.length) this.node.append(el("div", "menu-empty", ["No commands match"]));
    entries.forEach((entry, index) => {
      const item = el("div", "command-item", [el("span", "command-name", [`/${entry.name}`]), el("span", "command-description", [entry.description || ""])]);
      item.setAttribute("role", "option");
      item.setAttribute("aria-label", `/${entry.name}`);
      item.setAttribute("aria-selected", String(index === this.active));
      item.addEventListener("mousedown", (event) => { event.preventDefault(); this.onPick(entry); });
      this.node.append(item);
    });
    this.node.hidden = false;
  }

  hide() { this.node.hidden = true; this.entries = []; }

  get open() { return !this.node.hidden && this.entries.length > 0; }

  move(step) {
    if (!this.entries.length) return;
    this.active = (this.active + step + this.entries.length) % this.entries.length;
    this.node.querySelectorAll(".command-item").forEach((item, index) => item.setAttribute("aria-selected", String(index === this.active)));
  }

  pickActive() { if (this.open) this.onPick(this.entries[this.active]); }
}

// The options of one command, as labelled controls; `values()` reads them the way Discord sends them.
export class CommandForm {
  constructor(entry, guild, onSubmit, onCancel) {
    this.entry = entry;
    this.guild = guild;
    this.controls = new Map();
    this.node = el("form", "command-form");
    this.node.setAttribute("aria-label", `/${entry.name}`);
    this.node.noValidate = true;
    this.node.addEventListener("submit", (event) => { event.preventDefault(); onSubmit(); });
    const close = el("button", "close", ["×"]);
    Object.assign(close, { type: "button", title: "Cancel this command" });
    close.addEventListener("click", onCancel);
    this.node.append(el("div", "command-head", [el("span", "command-name", [`/${entry.name}`]), el("span", "command-description", [entry.description || ""]), close]));
    const fields = el("div", "command-fields");
    const ordered = [...entry.options.filter((o) => o.required), ...entry.options.filter((o) => !o.required)];
    for (const option of ordered) fields.append(this.field(option));
    const send = el("button", "send", ["Send"]);
    send.type = "submit";
    this.error = el("div", "form-error");
    this.error.setAttribute("role", "alert");
    this.node.append(fields, el("div", "command-foot", [this.error, send]));
    this.node.addEventListener("keydown", (event) => { if (event.key === "Escape") onCancel(); });
  }

  // A command without options has its Send button focused, so Enter sends it as in Discord's client.
  focus() { (this.node.querySelector("input, select, textarea") || this.node.querySelector("button.send"))?.focus(); }

  // The text typed after the command's name goes to its first option, as in Discord's client; the caret is
  // left after it so typing carries on there. A list takes the choice whose label the text names.
  prefill(text) {
    const first = [...this.controls.values()][0];
    if (!first || !text) return;
    const { control } = first;
    if (control.tagName === "SELECT") {
      const wanted = text.trim().toLowerCase().replace(/^[@#]/, "");
      const found = [...control.options].find((o) => o.value && [o.textContent, o.value].some((v) => v.toLowerCase().replace(/^[@#]/, "") === wanted));
      if (found) control.value = found.value;
      return;
    }
    if (control.type === "file") return;
    control.value = text;
    if (control.type === "text") control.setSelectionRange(text.length, text.length);
  }

  field(option) {
    const id = `opt-${this.entry.name.replace(/\W/g, "-")}-${option.name}`;
    const control = this.control(option);
    control.id = id;
    control.name = option.name;
    control.title = option.description || option.name;
    this.controls.set(option.name, { option, control });
    const label = el("label", "option-label", [option.name, option.required ? el("span", "required", [" *"]) : null]);
    label.htmlFor = id;
    return el("div", `option${option.type === STRING && !option.choices ? " wide" : ""}`, [label, control, el("div", "option-help", [option.description || ""])]);
  }

  control(option) {
    const choices = option.choices;
    if (choices?.length) return this.select(option, choices.map((c) => [String(c.value), c.name]));
    switch (option.type) {
      case BOOLEAN: return this.select(option, [["true", "True"], ["false", "False"]]);
      case USER: return this.select(option, this.members());
      case ROLE: return this.select(option, this.roles());
      case MENTIONABLE: return this.select(option, [...this.roles(), ...this.members()]);
      case CHANNEL: return this.select(option, this.channels(option.channel_types));
      case ATTACHMENT: {
        const input = el("input");
        input.type = "file";
        return input;
      }
      case INTEGER: case NUMBER: {
        const input = el("input");
        input.type = "number";
        input.step = option.type === INTEGER ? "1" : "any";
        if (option.min_value != null) input.min = String(option.min_value);
        if (option.max_value != null) input.max = String(option.max_value);
        input.placeholder = option.min_value != null && option.max_value != null ? `${option.min_value}–${option.max_value}` : "";
        return input;
      }
      default: {
        const input = el("input");
        input.type = "text";
        if (option.max_length) input.maxLength = option.max_length;
        input.autocomplete = "off";
        return input;
      }
    }
  }

  select(option, pairs) {
    const select = el("select");
    const none = el("option", "", [option.required ? "Choose…" : "—"]);
    none.value = "";
    select.append(none);
    for (const [value, label] of pairs) {
      const item = el("option", "", [label]);
      item.value = value;
      select.append(item);
    }
    return select;
  }

  members() {
    return this.guild.members.map((m) => [m.user.id, `@${displayName(m.user)}`]);
  }

  roles() {
    return this.guild.roles.map((r) => [r.id, r.name.startsWith("@") ? r.name : `@${r.name}`]);
  }

  channels(types) {
    const all = this.guild.channels.flatMap((c) => [c, ...(c.threads || [])]);
    return all.filter((c) => !types || types.includes(c.type)).map((c) => [c.id, c.type === 0 ? `#${c.name}` : c.name]);
  }

  // {options, files} to send, or throws Error with the sentence Discord's client shows.
  values() {
    const options = {};
    const files = [];
    for (const { option, control } of this.controls.values()) {
      let value = null;
      if (option.type === ATTACHMENT) {
        const file = control.files?.[0];
        if (file) { value = files.length; files.push(file); }
      } else if (control.value !== "") {
        value = control.value;
        if (option.type === INTEGER) value = Number.parseInt(value, 10);
        if (option.type === NUMBER) value = Number.parseFloat(value);
        if (option.type === BOOLEAN) value = value === "true";
        if ((option.type === INTEGER || option.type === NUMBER) && Number.isNaN(value)) throw new Error(`${option.name} must be a number.`);
        if (option.type === INTEGER && option.choices) value = Number(value);
      }
      if (value === null) {
        if (option.required) throw new Error(`${option.name} is required.`);
        continue;
      }
      if (option.type === INTEGER || option.type === NUMBER) {
        if (option.min_value != null && value < option.min_value) throw new Error(`${option.name} must be at least ${option.min_value}.`);
        if (option.max_value != null && value > option.max_value) throw new Error(`${option.name} must be at most ${option.max_value}.`);
      }
      if (option.type === STRING && option.min_length && value.length < option.min_length) {
        throw new Error(`${option.name} needs at least ${option.min_length} characters.`);
      }
      options[option.name] = value;
    }
    return { options, files };
  }

  showError(text) { this.error.textContent = text; }
}
