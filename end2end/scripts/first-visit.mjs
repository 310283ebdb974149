// Bytes a first visit to a page transfers, as Chromium counts them (headers and bodies of every
// response, on an empty cache), once with compression and once without (Accept-Encoding:
// identity, which is what every client got before the server compressed anything).
// Usage: node scripts/first-visit.mjs http://127.0.0.1:3000/login
import { chromium } from "@playwright/test";

const url = process.argv[2] ?? "http://127.0.0.1:3000/login";

async function visit(headers) {
  const browser = await chromium.launch({
    executablePath: process.env.PORTAL_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  const context = await browser.newContext({ extraHTTPHeaders: headers });
  const page = await context.newPage();
  const requests = [];
  page.on("requestfinished", (request) => requests.push(request));
  await page.goto(url, { waitUntil: "networkidle" });
  let total = 0;
  const rows = [];
  for (const request of requests) {
    const sizes = await request.sizes();
    const response = await request.response();
    const bytes = sizes.responseHeadersSize + sizes.responseBodySize;
    total += bytes;
    rows.push(
      `${String(bytes).padStart(9)}  ${(await response?.headerValue("content-encoding")) ?? "-"}\t${new URL(request.url()).pathname}`,
    );
  }
  await browser.close();
  return { total, rows };
}

for (const [label, headers] of [
  ["compressed (what Chromium asks for)", {}],
  ["uncompressed (Accept-Encoding: identity)", { "Accept-Encoding": "identity" }],
]) {
  const { total, rows } = await visit(headers);
  console.log(`${label}: ${total} bytes in ${rows.length} responses`);
  for (const row of rows) console.log(row);
}
