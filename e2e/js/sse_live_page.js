// The live page of `kasocki serve` with its transport switch on SSE, in headless Chromium
// (Playwright): pick TOPIC, set FILTER_JSON, start (the page opens an EventSource), then wait for
// COUNT messages in the list. Does I/O: a browser, HTTP to the gateway.
//
//   node sse_live_page.js URL TOPIC FILTER_JSON COUNT
//     stdout: "STARTED" once the stream is open (the test produces then), then one JSON line
//     {bodies: [each listed message's body, oldest first], state: the status pill's text}.
// Any failure: message on stderr, exit 1.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

const [url, topic, filterJson, countText] = process.argv.slice(2);

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "kasocki-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const pageErrors = [];
  try {
    const page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(30000);
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(url);
    await page.selectOption("#transport", "sse");
    await page.waitForSelector("#state:has-text('sse')");
    await page.check(`#topics input[value="${topic}"]`);
    await page.click("#subscribe");
    await page.waitForSelector("#assignment.good");
    await page.fill("#filters", filterJson);
    await page.click("#apply-filter");
    await page.click("#start");
    await page.waitForSelector("#state:has-text('connected · sse')");
    process.stdout.write("STARTED\n");
    const count = Number(countText);
    await page.waitForFunction((n) => document.querySelectorAll("#messages .message").length >= n,
      count, { timeout: 60000 });
    const bodies = await page.$$eval("#messages .message pre",
      (items) => items.map((item) => JSON.parse(item.textContent)).reverse());
    const state = await page.textContent("#state");
    await page.click("#stop");
    if (pageErrors.length) throw new Error("page errors: " + pageErrors.join("; "));
    process.stdout.write(JSON.stringify({ bodies, state }) + "\n");
  } finally {
    await context.close();
  }
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + "\n");
  process.exit(1);
});
