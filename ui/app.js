// The live page's logic: one socket.io connection to this Kasocki, the contract's events
// (ready, subscribe, filter, consume, start, stop, message, err) wired to the controls, or, with
// the transport switch on SSE, the same topics and filters through EventSource (sse.js); and a
// capped, newest-first message list rendered once per animation frame so a fast topic cannot
// freeze the page. Message contents are only ever inserted as text, never as HTML.
"use strict";

(() => {
  const MAX_SHOWN = 200;     // messages kept in the list
  const MAX_ERRORS = 50;     // err events kept
  const MAX_BODY = 20000;    // characters of pretty JSON shown per message

  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  let topics = [];
  let subscribed = false;
  let started = false;
  let received = 0;
  let pending = [];          // messages waiting for the next frame
  let frameAsked = false;
  // SSE: what "subscribe" and "apply filters" recorded, and how to close the open stream.
  let transport = "socketio";
  let sseRequest = null;
  let sseFilters = null;
  let sseStop = null;

  $("cap").textContent = MAX_SHOWN;

  if (typeof io !== "function") {
    setState("error", "socket.io client missing");
    addError({ name: "PageError", message: "/socket.io/socket.io.js did not load: the server has no socket.io client (run scripts/setup.sh)" });
    return;
  }
  const path = document.querySelector('meta[name="kasocki-path"]').content;
  const socket = io({ path });

  // ---- connection ----

  function setState(state, text) {
    const pill = $("state");
    pill.dataset.state = state;
    pill.textContent = text;
  }

  socket.on("connect", () => {
    // A new connection is a new Kasocki session: nothing is subscribed on it yet.
    subscribed = false;
    started = false;
    setState("connected", transport === "sse" ? "sse · pick topics"
      : "connected · " + socket.io.engine.transport.name);
    socket.io.engine.on("upgrade", (t) => {
      if (transport === "socketio") setState("connected", "connected · " + t.name);
    });
    $("assignment").textContent = "";
    $("filter-status").textContent = "no filters";
    $("filter-status").className = "result";
    updateButtons("subscribe first");
  });
  socket.on("disconnect", (reason) => {
    setState("disconnected", "disconnected (" + reason + ")");
    updateButtons("disconnected");
  });
  socket.on("connect_error", (error) => setState("disconnected", "cannot connect: " + error.message));
  $("reconnect").addEventListener("click", () => {
    socket.disconnect();
    socket.connect();
  });
  // A switch starts over: a new socket.io session (its topic list serves both transports).
  $("transport").addEventListener("change", () => {
    transport = $("transport").value;
    if (sseStop) sseStop();
    sseStop = null;
    sseRequest = null;
    sseFilters = null;
    socket.disconnect();
    socket.connect();
  });

  socket.on("ready", (names) => {
    topics = Array.isArray(names) ? names : [];
    renderTopics();
  });

  socket.on("err", (error) => addError(error));
  socket.on("message", (message) => {
    received += 1;
    queue(message, false);
  });

  // ---- topics and subscribe ----

  function renderTopics() {
    const box = $("topics");
    box.replaceChildren();
    if (topics.length === 0) {
      box.append(el("p", "muted", "no topics available"));
      return;
    }
    for (const name of topics) {
      const label = el("label", "topic");
      const box_ = el("input");
      box_.type = "checkbox";
      box_.value = name;
      label.append(box_, " ", el("span", null, name));
      box.append(label);
    }
    for (const select of document.querySelectorAll("#offset-rows select")) fillTopicSelect(select);
  }

  function fillTopicSelect(select) {
    const current = select.value;
    select.replaceChildren(...topics.map((t) => el("option", null, t)));
    if (topics.includes(current)) select.value = current;
  }

  function addOffsetRow() {
    const row = el("div", "offset-row");
    const topic = el("select");
    topic.setAttribute("aria-label", "topic");
    fillTopicSelect(topic);
    const partition = el("input");
    Object.assign(partition, { type: "number", min: "0", value: "0", placeholder: "partition" });
    partition.setAttribute("aria-label", "partition");
    const offset = el("input");
    Object.assign(offset, { type: "number", min: "0", value: "0", placeholder: "offset" });
    offset.setAttribute("aria-label", "offset");
    const remove = el("button", "small", "×");
    remove.type = "button";
    remove.title = "remove";
    remove.addEventListener("click", () => row.remove());
    row.append(topic, partition, offset, remove);
    $("offset-rows").append(row);
  }
  $("add-offset").addEventListener("click", addOffsetRow);

  for (const radio of document.querySelectorAll('input[name="from"]')) {
    radio.addEventListener("change", () => {
      $("offsets").hidden = fromMode() !== "offsets";
      if (fromMode() === "offsets" && !$("offset-rows").children.length) addOffsetRow();
    });
  }
  const fromMode = () => document.querySelector('input[name="from"]:checked').value;

  function chosenTopics() {
    return [...document.querySelectorAll("#topics input:checked")].map((b) => b.value);
  }

  // The subscribe argument for the chosen mode, or a string saying what is missing.
  function buildSpec() {
    const mode = fromMode();
    if (mode === "offsets") {
      const rows = [...document.querySelectorAll("#offset-rows .offset-row")];
      if (!rows.length) return "add a partition row";
      return rows.map((row) => {
        const [topic, partition, offset] = row.querySelectorAll("select, input");
        return { topic: topic.value, partition: Number(partition.value), offset: Number(offset.value) };
      });
    }
    const names = chosenTopics();
    if (!names.length) return "pick at least one topic";
    if (mode === "end") return names;
    const when = $("since").value;
    if (!when) return "pick a time";
    const timestamp = new Date(when).getTime();
    if (Number.isNaN(timestamp)) return "invalid time";
    return names.map((topic) => ({ topic, timestamp }));
  }

  $("subscribe").addEventListener("click", () => {
    const spec = buildSpec();
    const out = $("assignment");
    if (typeof spec === "string") {
      out.className = "result bad";
      out.textContent = spec;
      return;
    }
    if (transport === "sse") return subscribeSse(spec, out);
    out.className = "result";
    out.textContent = "subscribing…";
    socket.emit("subscribe", spec, (error, assignment) => {
      if (error) {
        out.className = "result bad";
        out.textContent = describe(error);
        return;
      }
      subscribed = true;
      out.className = "result good";
      out.replaceChildren(el("div", null, "subscribed:"));
      for (const a of assignment || []) {
        out.append(el("div", "mono", `${a.topic} [${a.partition}] @ ${a.offset}${a.reset ? " (reset)" : ""}`));
      }
      updateButtons("subscribed: start or consume");
    });
  });

  // SSE reads whole topics from now or from a time; the stream is opened by Start.
  function subscribeSse(spec, out) {
    if (fromMode() === "offsets") {
      out.className = "result bad";
      out.textContent = "SSE starts from now or a time (EventSource sends no offsets)";
      return;
    }
    sseRequest = {
      topics: spec.map((s) => (typeof s === "string" ? s : s.topic)),
      since: typeof spec[0] === "string" ? null : spec[0].timestamp,
    };
    subscribed = true;
    out.className = "result good";
    out.textContent = "will read: " + sseRequest.topics.join(", ");
    updateButtons("subscribed: start opens the stream");
  }

  // ---- filters ----

  $("apply-filter").addEventListener("click", () => {
    const out = $("filter-status");
    const text = $("filters").value.trim();
    let filters = null;
    if (text) {
      try {
        filters = JSON.parse(text);
      } catch (e) {
        out.className = "result bad";
        out.textContent = "not JSON: " + e.message;
        return;
      }
    }
    if (transport === "sse") {
      sseFilters = filters;
      out.className = "result good";
      out.textContent = filters ? "at the next start: " + JSON.stringify(filters) : "no filters";
      return;
    }
    socket.emit("filter", filters, (error, stored) => {
      if (error) {
        out.className = "result bad";
        out.textContent = describe(error);
        return;
      }
      out.className = "result good";
      out.textContent = stored ? "active: " + JSON.stringify(stored) : "no filters";
    });
  });

  // ---- start, stop, consume ----

  function updateButtons(text) {
    const connected = socket.connected || transport === "sse";
    $("subscribe").disabled = !connected || subscribed;
    $("start").disabled = !connected || !subscribed || started;
    $("stop").disabled = !connected || !started;
    $("consume").disabled = !connected || !subscribed || transport === "sse";
    if (text) $("read-status").textContent = text;
  }

  $("start").addEventListener("click", async () => {
    if (transport === "sse") {
      const url = window.kasockiSse.streamUrl(sseRequest.topics, sseRequest.since, sseFilters);
      sseStop = await window.kasockiSse.open(url, {
        message: (message) => {
          received += 1;
          queue(message, false);
        },
        error: addError,
        state: (text) => setState("connected", text),
      });
      if (!sseStop) return;
      started = true;
      return updateButtons("started: the stream is open");
    }
    socket.emit("start", null, (error) => {
      if (error) return addError(error);
      started = true;
      updateButtons("started: messages are pushed");
    });
  });
  $("stop").addEventListener("click", () => {
    if (transport === "sse") {
      if (sseStop) sseStop();
      sseStop = null;
      started = false;
      setState("connected", "sse · closed");
      return updateButtons("stopped: start opens the stream again from the chosen start");
    }
    socket.emit("stop", null, (error) => {
      if (error) return addError(error);
      started = false;
      updateButtons("stopped");
    });
  });
  $("consume").addEventListener("click", () => {
    $("read-status").textContent = "consume: waiting for the next message…";
    socket.emit("consume", null, (error, message) => {
      if (error) return addError(error);
      received += 1;
      queue(message, true);
      $("read-status").textContent = started ? "started: messages are pushed" : "consumed one";
    });
  });

  // ---- the message list ----

  function queue(message, consumed) {
    pending.push({ message, consumed });
    if (pending.length > MAX_SHOWN) pending = pending.slice(-MAX_SHOWN);
    if (!frameAsked) {
      frameAsked = true;
      requestAnimationFrame(flush);
    }
  }

  function flush() {
    frameAsked = false;
    const list = $("messages");
    const fragment = document.createDocumentFragment();
    for (let i = pending.length - 1; i >= 0; i--) fragment.append(renderMessage(pending[i]));
    pending = [];
    list.prepend(fragment);
    while (list.children.length > MAX_SHOWN) list.lastElementChild.remove();
    $("count").textContent = received;
    $("shown").textContent = list.children.length;
  }

  function renderMessage({ message, consumed }) {
    const item = el("li", "message");
    const k = (message && message._kafka) || {};
    item.dataset.topic = k.topic;
    item.dataset.partition = k.partition;
    item.dataset.offset = k.offset;
    const head = el("div", "head");
    head.append(el("span", "pos", `${k.topic} [${k.partition}] @ ${k.offset}`));
    if (k.timestamp != null) head.append(el("time", "muted", new Date(k.timestamp).toISOString()));
    if (k.key != null) head.append(el("span", "key", "key " + k.key));
    if (consumed) head.append(el("span", "badge", "consumed"));
    const body = Object.assign({}, message);
    delete body._kafka;
    let text = JSON.stringify(body, null, 2);
    if (text.length > MAX_BODY) text = text.slice(0, MAX_BODY) + "\n… (truncated)";
    item.append(head, el("pre", "json", text));
    return item;
  }

  $("clear").addEventListener("click", () => {
    $("messages").replaceChildren();
    $("shown").textContent = 0;
  });

  // Messages per second over the last RATE_WINDOW seconds, updated every second: steadier than
  // the last second alone, and a burst stays visible for a moment.
  const RATE_WINDOW = 5;
  const perSecond = [];
  let lastCount = 0;
  let lastTime = performance.now();
  setInterval(() => {
    const now = performance.now();
    perSecond.push({ count: received - lastCount, ms: now - lastTime });
    if (perSecond.length > RATE_WINDOW) perSecond.shift();
    lastCount = received;
    lastTime = now;
    const count = perSecond.reduce((sum, s) => sum + s.count, 0);
    const ms = perSecond.reduce((sum, s) => sum + s.ms, 0);
    const rate = (count * 1000) / ms;
    $("rate").textContent = rate < 10 ? rate.toFixed(1) : Math.round(rate);
  }, 1000);

  // ---- errors ----

  function describe(error) {
    if (!error || typeof error !== "object") return String(error);
    return `${error.name || "Error"}: ${error.message || JSON.stringify(error)}`;
  }

  function addError(error) {
    const list = $("errors");
    const item = el("li", "error");
    item.append(el("time", "muted", new Date().toLocaleTimeString()), " ", el("span", null, describe(error)));
    if (error && error.socketEvent) item.append(el("span", "muted", ` (${error.socketEvent})`));
    list.prepend(item);
    while (list.children.length > MAX_ERRORS) list.lastElementChild.remove();
  }
  $("clear-errors").addEventListener("click", () => $("errors").replaceChildren());
})();
