// The page's link to the playground: the websocket feed (its own "user gateway") and the action routes.
// Every message the page shows comes from here; nothing is fetched from anywhere else.

export class Connection extends EventTarget {
  constructor() {
    super();
    this.userId = null;
    this.socket = null;
    this.retryDelay = 250;
    this.pending = new Map(); // nonce -> resolve(outcome) for interactions this page started
  }

  // Connect (again) as a person; events arrive as DOM events named after Discord's ("MESSAGE_UPDATE"…).
  connect(userId) {
    this.userId = userId;
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close();
    }
    const socket = new WebSocket(`ws://${location.host}/api/feed?as=${encodeURIComponent(userId)}`);
    this.socket = socket;
    socket.onmessage = (message) => {
      const { t, d } = JSON.parse(message.data);
      this.settle(t, d);
      this.dispatchEvent(new CustomEvent(t, { detail: d }));
    };
    socket.onopen = () => { this.retryDelay = 250; };
    socket.onclose = () => {
      // The playground restarted or dropped us for falling behind: reconnect and reload what we show.
      this.dispatchEvent(new CustomEvent("DISCONNECTED"));
      setTimeout(() => { if (this.socket === socket) this.connect(this.userId); }, this.retryDelay);
      this.retryDelay = Math.min(this.retryDelay * 2, 4000);
    };
  }

  // Ask for a channel's history; it arrives as MESSAGES, in order with the live events.
  open(channelId) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify({ op: "open", channel_id: channelId }));
    }
  }

  settle(type, data) {
    if (!["INTERACTION_SUCCESS", "INTERACTION_FAILURE", "INTERACTION_MODAL_CREATE"].includes(type)) return;
    const resolve = this.pending.get(data.nonce);
    if (resolve) {
      this.pending.delete(data.nonce);
      resolve(type);
    }
  }

  // POST an action as the current person. Files go as multipart (payload_json + files[n]), like Discord's
  // own client uploads. Resolves to {ok, data, outcome}: outcome is a promise of how the interaction went.
  async act(path, body, files = []) {
    const nonce = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
    const payload = { ...body, as: this.userId, nonce };
    let request;
    if (files.length) {
      const form = new FormData();
      form.append("payload_json", JSON.stringify(payload));
      files.forEach((file, index) => form.append(`files[${index}]`, file, file.name));
      request = { method: "POST", body: form };
    } else {
      request = { method: "POST", body: JSON.stringify(payload), headers: { "Content-Type": "application/json" } };
    }
    const outcome = new Promise((resolve) => this.pending.set(nonce, resolve));
    const response = await fetch(path, request);
    const text = await response.text();
    let data;
    try { data = JSON.parse(text); } catch { data = { message: text }; }
    if (!response.ok) this.pending.delete(nonce);
    return { ok: response.ok, data, outcome };
  }

  async commands(channelId) {
    const query = new URLSearchParams({ as: this.userId, channel_id: channelId });
    const response = await fetch(`/api/commands?${query}`);
    return response.ok ? response.json() : [];
  }
}
