// A browser's own EventSource against the SSE endpoint of `kasocki serve`, in headless Chromium
// (Playwright): it reads until it has COUNT messages, reconnecting by itself (with Last-Event-ID)
// whenever the server ends the stream. Does I/O: a browser, HTTP to the gateway.
//
//   node sse_eventsource.js PAGE_URL STREAM_URL COUNT
//     PAGE_URL gives the page its origin (same origin as the stream). stdout: "OPEN" when the
//     stream first opens, then one JSON line {numbers: [the n of each message in arrival order],
//     opens, ids: [lastEventId of each], errors: [data of the server's error events]}.
// Any failure: message on stderr, exit 1.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

const [pageUrl, streamUrl, countText] = process.argv.slice(2);

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "kasocki-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = context.pages()[0] || await context.newPage();
    await page.goto(pageUrl);
    let reported = false;
    await page.exposeFunction("reportOpen", () => {
      if (!reported) process.stdout.write("OPEN\n");
      reported = true;
    });
    const result = await page.evaluate(([url, count]) => new Promise((resolve, reject) => {
      const out = { numbers: [], ids: [], opens: 0, errors: [] };
      const source = new EventSource(url);
      const timer = setTimeout(() => {
        source.close();
        reject(new Error(`only ${out.numbers.length} of ${count} messages: ${JSON.stringify(out)}`));
      }, 90000);
      source.onopen = () => { out.opens += 1; window.reportOpen(); };
      // The server's error events (data) and the browser's own on a lost connection (no data).
      source.addEventListener("error", (e) => { if (e.data) out.errors.push(e.data); });
      source.addEventListener("message", (e) => {
        out.numbers.push(JSON.parse(e.data).n);
        out.ids.push(e.lastEventId);
        if (out.numbers.length === count) {
          clearTimeout(timer);
          source.close();
          resolve(out);
        }
      });
    }), [streamUrl, Number(countText)]);
    process.stdout.write(JSON.stringify(result) + "\n");
  } finally {
    await context.close();
  }
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + "\n");
  process.exit(1);
});
