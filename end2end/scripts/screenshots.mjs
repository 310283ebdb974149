// `make screenshots`: the pictures in the README and docs/, taken from the real server. Starts
// it on a throwaway database filled by `server demo` (so the directory and the profile are not
// empty), signs in as the first sample member, and saves each page below as a PNG in
// docs/screenshots/ (the make target then shrinks them to 256-colour PNGs).
//
// Environment: PORTAL_SERVER (default target/release/server), LEPTOS_SITE_ROOT (default
// target/site), PORTAL_CHROMIUM (default /usr/bin/chromium), SCREENSHOTS (the folder, default
// docs/screenshots).
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "@playwright/test";
import { freePort, waitUntilUp } from "./server.mjs";

const DESKTOP = { viewport: { width: 1280, height: 800 } };
// A phone-sized screen (a Pixel 7's CSS pixels), touch and all.
const PHONE = { viewport: { width: 412, height: 915 }, isMobile: true, hasTouch: true };
const SHOTS = [
  { name: "login", path: "/login", signedIn: false, ...DESKTOP },
  { name: "professional", path: "/profile/professional", signedIn: true, ...DESKTOP },
  { name: "professional-phone", path: "/profile/professional", signedIn: true, ...PHONE },
  { name: "directory", path: "/directory", signedIn: true, ...DESKTOP },
  { name: "security", path: "/profile/security", signedIn: true, ...DESKTOP },
  { name: "personal-phone", path: "/profile", signedIn: true, ...PHONE },
];

const binary = process.env.PORTAL_SERVER ?? "target/release/server";
const folder = process.env.SCREENSHOTS ?? "docs/screenshots";
const work = mkdtempSync(join(tmpdir(), "portal-screenshots-"));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const env = {
  ...process.env,
  DATABASE_URL: `sqlite://${join(work, "portal.db")}`,
  LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
  LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? "target/site",
  MAIL_OUTBOX: join(work, "mail"),
  RUST_LOG: "warn",
};
// The sample members, and the address and password to sign in with, from what it prints.
const made = execFileSync(binary, ["demo"], { env, encoding: "utf8" });
const [, email, password] = made.match(/as (\S+) with the password (\S+)/) ?? [];
if (!email) throw new Error(`server demo printed no sign-in: ${made}`);
const server = spawn(binary, [], { env, stdio: ["ignore", "inherit", "inherit"] });
let browser;
try {
  await waitUntilUp(base, server);
  mkdirSync(folder, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.PORTAL_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
  // Signed in as the browser (its User-Agent, without "Headless"), so the security page names
  // the device as a member would see it.
  const probe = await browser.newPage();
  const userAgent = (await probe.evaluate(() => navigator.userAgent)).replace("HeadlessChrome", "Chrome");
  await probe.close();
  const signIn = await fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "User-Agent": userAgent },
    body: JSON.stringify({ Email: email, Password: password }),
  });
  const token = (await signIn.json()).Value?.AccessToken;
  if (!token) throw new Error(`signing in as ${email} answered ${signIn.status}`);
  for (const { name, path, signedIn, ...device } of SHOTS) {
    const context = await browser.newContext({ ...device, userAgent, colorScheme: "light" });
    if (signedIn) {
      await context.addCookies([{ name: "portal_session", value: token, url: base }]);
    }
    const page = await context.newPage();
    await page.goto(`${base}${path}`);
    // Interactive, with every island's code loaded, so the picture is what a member sees.
    await page.locator("html[data-hydrated]").waitFor({ timeout: 15_000 }).catch(() => {});
    await page.screenshot({ path: join(folder, `${name}.png`), fullPage: false });
    console.log(`${name}.png: ${path} at ${device.viewport.width}x${device.viewport.height}`);
    await context.close();
  }
} finally {
  await browser?.close();
  server.kill("SIGTERM");
  rmSync(work, { recursive: true, force: true });
}
