// The live page's Server-Sent Events transport: the same stream as socket.io through the
// browser's own EventSource (GET <sse-path>{topics}?since=&filters=). No subscription state on
// the server: "subscribe" only records what to read, "start" opens the stream, "stop" closes it,
// and EventSource reconnects by itself (with Last-Event-ID) when the server ends it.
"use strict";

window.kasockiSse = (() => {
  const path = document.querySelector('meta[name="kasocki-sse-path"]').content;

  // The stream URL for topics, a start time (ms or null) and filters (object or null).
  function streamUrl(topics, since, filters) {
    const query = new URLSearchParams();
    if (since != null) query.set("since", String(since));
    if (filters) query.set("filters", JSON.stringify(filters));
    const q = query.toString();
    return path + topics.map(encodeURIComponent).join(",") + (q ? "?" + q : "");
  }

  // Opens the stream; `on` has message(object), error(object), state(text). Returns stop().
  // A request the server refuses (unknown topic, bad filters) is asked once more with fetch, as
  // EventSource does not show the JSON error body.
  async function open(url, on) {
    const head = await fetch(url, { method: "HEAD" });
    if (!head.ok) {
      const answer = await fetch(url);
      let error;
      try {
        error = await answer.json();
      } catch (e) {
        error = { name: "HTTPError", message: "HTTP " + answer.status };
      }
      on.error(error);
      return null;
    }
    const source = new EventSource(url);
    source.onopen = () => on.state("connected · sse");
    source.addEventListener("message", (e) => on.message(JSON.parse(e.data)));
    source.addEventListener("error", (e) => {
      if (e.data) return on.error(JSON.parse(e.data));  // the server's `event: error`
      on.state(source.readyState === EventSource.CLOSED ? "sse closed" : "sse reconnecting…");
    });
    return () => source.close();
  }

  return { streamUrl, open };
})();
