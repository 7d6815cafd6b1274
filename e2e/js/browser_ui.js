// Drives the live page of `kasocki serve` in headless Chromium (Playwright). Does I/O: a browser,
// HTTP/websocket to the gateway, screenshots into OUT_DIR.
//
//   node browser_ui.js steps URL TOPIC OUT_DIR FILTER_JSON
//     Step by step with e2e/test_browser_ui.py, which produces the Kafka messages. stdout:
//     "STARTED" -> (stdin) "PRODUCED <n matching>"; "STOPPED" -> (stdin) "PRODUCED <id of the one
//     matching message>"; then "DONE".
//   node browser_ui.js watch URL TOPIC OUT_DIR FILTER_JSON
//     Against a topic someone else feeds (scripts/demo.sh): subscribe, filter, start, wait for
//     a screenful of matching messages, stop, screenshot; then "DONE".
// Any failure: message on stderr, exit 1.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const readline = require("readline");
const { chromium } = require("playwright-core");

const [mode, url, topic, outDir, filterJson] = process.argv.slice(2);
const WATCH_COUNT = 12;  // messages the watch mode waits for
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();

async function expectLine(prefix) {
  const { value, done } = await lines.next();
  if (done || !value.startsWith(prefix + " ")) throw new Error(`expected "${prefix} …" on stdin, got ${value}`);
  return value.slice(prefix.length + 1);
}

function check(condition, what) {
  if (!condition) throw new Error("check failed: " + what);
}

// The messages in the list, newest first: their _kafka position and body.
function listed(page) {
  return page.$$eval("#messages .message", (items) => items.map((item) => ({
    partition: Number(item.dataset.partition),
    offset: Number(item.dataset.offset),
    consumed: !!item.querySelector(".badge"),
    body: JSON.parse(item.querySelector("pre").textContent),
  })));
}

// Every listed message passes the test's filter: {"meta.domain": "/re/", "type": [...]}.
function checkFiltered(shown) {
  const wanted = JSON.parse(filterJson);
  const domain = new RegExp(wanted["meta.domain"].slice(1, -1));
  for (const m of shown) {
    check(domain.test(m.body.meta.domain), `domain of ${m.body.id}`);
    check(wanted.type.includes(m.body.type), `type of ${m.body.id}`);
    check(!("_kafka" in m.body), "the _kafka position is in the header, not the body");
  }
  // Newest first: within a partition, offsets go down the list.
  const last = {};
  for (const m of shown) {
    check(!(m.partition in last) || m.offset < last[m.partition], `order at ${m.partition}/${m.offset}`);
    last[m.partition] = m.offset;
  }
}

async function subscribeAndFilter(page, checkRefusals) {
  // Topics come from `ready`; pick ours and subscribe from the end.
  await page.check(`#topics input[value="${topic}"]`);
  await page.click("#subscribe");
  await page.waitForSelector("#assignment.good");
  const assignment = await page.textContent("#assignment");
  check(assignment.includes(`${topic} [0] @ `), `assignment shown: ${assignment}`);

  if (checkRefusals) {
    // A filter RE2 refuses (backreference) is shown as the server's error...
    await page.fill("#filters", '{"title": "/(a)\\\\1/"}');
    await page.click("#apply-filter");
    await page.waitForSelector("#filter-status.bad");
    const refused = await page.textContent("#filter-status");
    check(refused.startsWith("InvalidFilterError"), `rejected filter shown: ${refused}`);
    // ...and so is text that is not JSON, without asking the server.
    await page.fill("#filters", "{meta.domain: 1}");
    await page.click("#apply-filter");
    await page.waitForSelector("#filter-status.bad >> text=not JSON");
  }
  await page.fill("#filters", filterJson);
  await page.click("#apply-filter");
  await page.waitForSelector("#filter-status.good");
  check((await page.textContent("#filter-status")).startsWith("active: "), "filter echoed");

  await page.click("#start");
  await page.waitForSelector("#read-status >> text=started");
}

const countAtLeast = (page, n) =>
  page.waitForFunction((k) => document.querySelectorAll("#messages .message").length >= k, n);

// Clicking scrolled the page: pictures are taken from the top, where the counters are.
async function screenshot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(outDir, name) });
}

async function steps(page) {
  await subscribeAndFilter(page, true);
  console.log("STARTED");
  const matching = Number(await expectLine("PRODUCED"));
  await countAtLeast(page, matching);
  let shown = await listed(page);
  check(shown.length === matching, `${shown.length} messages shown, ${matching} expected`);
  check(Number(await page.textContent("#count")) === matching, "received counter");
  checkFiltered(shown);
  await screenshot(page, "page.png");

  await page.click("#stop");
  await page.waitForSelector("#read-status >> text=stopped");
  console.log("STOPPED");
  const nextId = Number(await expectLine("PRODUCED"));
  // Stopped: the new message only arrives when asked for.
  await page.click("#consume");
  await page.waitForSelector("#read-status >> text=consumed one");
  // The page adds messages to the list on the next animation frame, after the status text.
  await countAtLeast(page, matching + 1);
  shown = await listed(page);
  check(shown.length === matching + 1, `${shown.length} messages after consume`);
  check(shown[0].consumed && shown[0].body.id === nextId, `consumed ${JSON.stringify(shown[0])}`);
}

async function watch(page) {
  await subscribeAndFilter(page, false);
  await countAtLeast(page, WATCH_COUNT);
  // Let the rate counter see a few seconds of the stream before the picture.
  await page.waitForFunction(() => Number(document.getElementById("rate").textContent) > 0);
  await page.click("#stop");
  await page.waitForSelector("#read-status >> text=stopped");
  checkFiltered(await listed(page));
  await screenshot(page, "page.png");
}

async function main() {
  check(mode === "steps" || mode === "watch", `unknown mode ${mode}`);
  fs.mkdirSync(outDir, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "kasocki-chromium-"));
  // A fresh profile folder: Playwright passes it as the persistent context's --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1280, height: 900 },
  });
  const pageErrors = [];
  try {
    const page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(20000);
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.on("console", (m) => { if (m.type() === "error") pageErrors.push(m.text()); });
    const response = await page.goto(url);
    check(response.status() === 200, `GET / is ${response.status()}`);
    await page.waitForSelector('#state[data-state="connected"]');

    await (mode === "steps" ? steps(page) : watch(page));

    // Readable on a phone: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `page is ${overflow}px wider than a phone screen`);
    await screenshot(page, "phone.png");

    check(pageErrors.length === 0, `errors in the page: ${pageErrors.join("; ")}`);
    console.log("DONE");
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (error) => {
  console.error(error.stack || String(error));
  process.exit(1);
});
