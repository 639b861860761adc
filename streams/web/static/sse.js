// The live alert feed: fetch + a streaming Server-Sent Events parser, because EventSource cannot send
// the Authorization header. Reconnects with backoff and resumes after the last event id it saw
// (the worker replays from there, so a reconnect neither loses nor repeats alerts).

/**
 * An incremental parser of the text/event-stream format (WHATWG HTML, "Server-sent events").
 * feed(text) as chunks arrive, in any split; every complete event goes to onEvent({event, data, id}).
 */
export class SseParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buffer = "";
    this.reset();
    this.lastId = "";
  }

  reset() {
    this.event = "";
    this.data = [];
  }

  feed(chunk) {
    this.buffer += chunk;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) return;
      // a lone "\r" at the very end may be the first half of "\r\n": wait for the next chunk
      if (match[0] === "\r" && match.index === this.buffer.length - 1) return;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.line(line);
    }
  }

  /** The stream ended: a "\r" held back as a possible half of "\r\n" was a line end after all. */
  end() {
    if (this.buffer.endsWith("\r")) {
      this.buffer = this.buffer.slice(0, -1);
      const rest = this.buffer;
      this.buffer = "";
      for (const line of rest.split(/\r\n|\r|\n/)) this.line(line);
    }
    this.buffer = "";
  }

  line(line) {
    if (line === "") {
      this.dispatch();
      return;
    }
    if (line.startsWith(":")) return; // a comment: the server's keep-alive ping
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id" && !value.includes("\0")) this.lastId = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retry = Number(value);
  }

  dispatch() {
    // The standard drops an event without data lines; a named one ("event: ready" alone) is kept
    // here, so that a server that sends its ready signal bare still lights the feed up.
    if (this.data.length || this.event) {
      this.onEvent({ event: this.event || "message", data: this.data.join("\n"), id: this.lastId });
    }
    this.reset();
  }
}

/**
 * Keeps one stream open. Callbacks: onState(state, detail) with state one of
 * connecting | live | reconnecting | unauthorized | unavailable | stopped; onAlert(alert, id).
 */
export class LiveFeed {
  constructor(url, { headers, onAlert, onState }) {
    this.url = url;
    this.headers = headers;
    this.onAlert = onAlert;
    this.onState = onState;
    this.lastId = "";
    this.controller = null;
    this.attempt = 0;
    this.timer = null;
  }

  start() {
    this.stop();
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.controller) this.controller.abort();
    this.controller = null;
  }

  async connect() {
    const controller = new AbortController();
    this.controller = controller;
    this.onState(this.attempt ? "reconnecting" : "connecting");
    const headers = { ...this.headers(), Accept: "text/event-stream" };
    if (this.lastId) headers["Last-Event-ID"] = this.lastId;
    let response;
    try {
      response = await fetch(this.url, { headers, signal: controller.signal, cache: "no-store" });
    } catch (err) {
      if (controller.signal.aborted) return;
      this.retryLater(`the worker did not answer (${err.message})`);
      return;
    }
    if (response.status === 401) {
      this.onState("unauthorized", "the token was refused");
      return; // no retry: the same token would be refused again
    }
    if (!response.ok || !response.body) {
      this.onState("unavailable", `HTTP ${response.status}`);
      this.retryLater(`HTTP ${response.status}`);
      return;
    }
    const parser = new SseParser((message) => this.message(message));
    parser.lastId = this.lastId;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          parser.end();
          break;
        }
        parser.feed(value);
      }
    } catch (err) {
      if (controller.signal.aborted) return;
    }
    if (!controller.signal.aborted && !this.stopped) this.retryLater("the stream ended");
  }

  message({ event, data, id }) {
    if (id) this.lastId = id;
    if (event === "ready") {
      this.attempt = 0;
      this.onState("live");
      return;
    }
    if (event !== "alert") return;
    let alert;
    try {
      alert = JSON.parse(data);
    } catch {
      return; // not JSON: nothing the desk could show
    }
    this.onAlert(alert, id);
  }

  retryLater(detail) {
    if (this.stopped) return;
    this.attempt += 1;
    const delay = Math.min(30000, 500 * 2 ** Math.min(this.attempt, 6));
    this.onState("reconnecting", `${detail}; retrying in ${Math.round(delay / 1000)} s`);
    this.timer = setTimeout(() => this.connect(), delay);
  }
}
