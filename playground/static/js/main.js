// The playground's Discord-like client: one server, its channels and the bot's threads, a channel in the
// middle and a thread beside it, and a switch between playing a member and a moderator.

import { Connection } from "./connection.js";
import { refreshTimes } from "./markdown.js";
import { displayName, el } from "./message.js";
import { openModal } from "./modal.js";
import { Pane } from "./pane.js";

const connection = new Connection();
const app = {
  connection,
  state: null, // READY: {user, identities, bot, guild}
  names: {
    user: (id) => {
      const member = app.state?.guild.members.find((m) => m.user.id === id);
      return member ? displayName(member.user) : null;
    },
    role: (id) => app.state?.guild.roles.find((r) => r.id === id)?.name ?? null,
    channel: (id) => app.channel(id)?.name ?? null,
  },
  channel(id) {
    for (const channel of app.state?.guild.channels ?? []) {
      if (channel.id === id) return channel;
      const thread = (channel.threads || []).find((t) => t.id === id);
      if (thread) return thread;
    }
    return null;
  },
  threadOf(messageId) {
    // A thread started from a message has that message's id.
    const thread = app.channel(messageId);
    return thread && thread.type !== 0 ? thread : null;
  },
  openChannel(id) {
    const channel = app.channel(id);
    if (!channel) return;
    mainPane.show(channel);
    sessionStorage.setItem("playground-channel", id);
    drawSidebar();
  },
  openThread(id) {
    const thread = app.channel(id);
    if (!thread) return;
    threadPane.show(thread);
    document.getElementById("app").classList.add("with-thread");
    drawSidebar();
  },
  closeThread() {
    threadPane.hide();
    document.getElementById("app").classList.remove("with-thread");
    drawSidebar();
  },
};

const mainPane = new Pane(app, document.getElementById("main-pane"));
const threadPane = new Pane(app, document.getElementById("thread-pane"), { closable: true });
const panes = [mainPane, threadPane];

function drawSidebar() {
  const guild = app.state.guild;
  document.getElementById("server-name").textContent = guild.name;
  const icon = document.getElementById("server-icon");
  icon.textContent = guild.name.split(/\s+/).map((w) => w[0]).join("").slice(0, 3);
  icon.title = guild.name;
  const list = el("ul", "channel-list");
  for (const channel of guild.channels) {
    list.append(channelLink(channel, "#", () => app.openChannel(channel.id), mainPane));
    for (const thread of channel.threads || []) {
      const link = channelLink(thread, "🧵", () => app.openThread(thread.id), threadPane);
      link.classList.add("thread");
      if (thread.thread_metadata?.archived) link.classList.add("archived");
      list.append(link);
    }
  }
  document.getElementById("channels").replaceChildren(el("div", "category", ["Text channels"]), list);
  const me = app.state.user;
  const label = app.state.identities.find((i) => i.user.id === me.id)?.label ?? "";
  document.getElementById("you").replaceChildren(el("div", "avatar small", [displayName(me).slice(0, 1)]), el("div", "you-text", [el("strong", "", [displayName(me)]), el("span", "", [label])]));
  const switcher = document.getElementById("identity-switch");
  switcher.replaceChildren(...app.state.identities.map((identity) => {
    const button = el("button", "identity", [`${displayName(identity.user)} · ${identity.label}`]);
    button.type = "button";
    button.setAttribute("aria-pressed", String(identity.user.id === me.id));
    button.title = `Play as ${displayName(identity.user)}, a ${identity.label}`;
    button.addEventListener("click", () => become(identity.user.id));
    return button;
  }));
}

function channelLink(channel, mark, open, pane) {
  const button = el("button", "channel-link", [el("span", "mark", [mark]), channel.name]);
  button.type = "button";
  if (pane.channel?.id === channel.id) button.setAttribute("aria-current", "page");
  button.addEventListener("click", open);
  return el("li", "", [button]);
}

function become(userId) {
  sessionStorage.setItem("playground-as", userId);
  connection.connect(userId);
}

connection.addEventListener("READY", ({ detail }) => {
  app.state = detail;
  document.body.classList.add("ready");
  drawSidebar();
  const channels = detail.guild.channels;
  const wanted = app.channel(sessionStorage.getItem("playground-channel")) ?? channels.find((c) => c.name === "video-lab") ?? channels[0];
  const thread = threadPane.channel && app.channel(threadPane.channel.id);
  if (wanted) app.openChannel(wanted.type === 0 ? wanted.id : channels[0].id);
  if (thread) app.openThread(thread.id); else app.closeThread();
});

connection.addEventListener("STATE", ({ detail }) => {
  app.state = { ...app.state, guild: detail };
  for (const pane of panes) {
    if (!pane.channel) continue;
    const channel = app.channel(pane.channel.id);
    if (!channel) {
      // No longer visible to this person (a permission changed): leave it.
      if (pane === threadPane) app.closeThread(); else app.openChannel(detail.channels[0]?.id);
    } else {
      pane.refresh(channel);
      pane.redrawThreadChips();
    }
  }
  drawSidebar();
});

connection.addEventListener("MESSAGES", ({ detail }) => {
  for (const pane of panes) if (pane.channel?.id === detail.channel_id) pane.load(detail.messages);
});
for (const type of ["MESSAGE_CREATE", "MESSAGE_UPDATE"]) {
  connection.addEventListener(type, ({ detail }) => panes.forEach((pane) => pane.upsert(detail)));
}
connection.addEventListener("MESSAGE_DELETE", ({ detail }) => panes.forEach((pane) => pane.remove(detail.id)));
connection.addEventListener("INTERACTION_MODAL_CREATE", ({ detail }) => openModal(document.getElementById("modal"), detail, connection));
connection.addEventListener("DISCONNECTED", () => document.body.classList.remove("ready"));

setInterval(() => refreshTimes(), 5000);
// Play the person chosen last time in this tab if the playground still has them (ids change on every
// start), else the member.
fetch("/api/people").then((response) => response.json()).then((people) => {
  const stored = sessionStorage.getItem("playground-as");
  const known = people.find((p) => p.user.id === stored);
  become(known ? known.user.id : people[0].user.id);
});
