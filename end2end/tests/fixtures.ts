// Shared test fixture: every test fails if the browser logged an error (a failed hydration,
// a missing asset, a panic in the wasm) while it ran, unless the test said it expects it.
import { test as base, expect, type Page } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import * as crypto from "node:crypto";

type BrowserErrors = {
  /** Accept console errors about `url` (a test that visits a page expected to answer 404). */
  allowFor(url: RegExp): void;
};

export const test = base.extend<{ browserErrors: BrowserErrors }>({
  browserErrors: [
    async ({ page }, use) => {
      const errors: { text: string; url: string }[] = [];
      const allowed: RegExp[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") {
          errors.push({ text: message.text(), url: message.location().url });
        }
      });
      page.on("pageerror", (error) => errors.push({ text: error.message, url: page.url() }));
      await use({ allowFor: (url) => allowed.push(url) });
      const unexpected = errors.filter((error) => !allowed.some((url) => url.test(error.url)));
      expect(unexpected, "errors in the browser console").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** Waits until the wasm has hydrated the page: the marker comes once every island is. */
export async function waitForHydration(page: Page) {
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
}

/**
 * Holds every wasm file the page asks for back by `ms`, as a slow phone's network would, so
 * what a test does meanwhile happens before hydration. Returns a check that the page is still
 * not hydrated (call it after typing, to know the typing came first).
 */
export async function holdBackWasm(page: Page, ms = 3_000) {
  await page.route(/\.wasm(\?.*)?$/, async (route) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    await route.continue().catch(() => {
      // The page went away meanwhile.
    });
  });
  return async () => {
    expect(await page.locator("html").getAttribute("data-hydrated"), "hydrated already").toBeNull();
  };
}

let counter = 0;

/** A fresh member for one test: signed up through the API, so the page's context has the cookie. */
export async function signUpViaApi(page: Page, fullName = "Jane Doe") {
  const email = `member-${Date.now()}-${process.pid}-${counter++}@example.com`;
  const password = "a quiet harbour at dusk";
  const response = await page.request.post("/api/auth/signup", {
    data: { Email: email, Password: password, FullName: fullName },
  });
  expect(response.status()).toBe(201);
  return { email, password, fullName };
}

/** A new member's credentials, not yet signed up. */
export function newMember(fullName = "Jane Doe") {
  return {
    email: `member-${Date.now()}-${process.pid}-${counter++}@example.com`,
    password: "a quiet harbour at dusk",
    fullName,
  };
}

/** Changes the signed-in member's profile through the JSON API (the page's cookie session). */
export async function patchProfile(page: Page, fields: Record<string, unknown>) {
  const response = await page.request.patch("/api/public/coworker/profile", {
    data: fields,
    headers: { Origin: test.info().project.use.baseURL ?? "" },
  });
  expect(response.status(), await response.text()).toBe(200);
}

/** The messages shown next to the field with this id, and that the field points at them. */
export async function expectFieldError(page: Page, id: string, message: RegExp) {
  const field = page.locator(`#${id}`);
  await expect(field).toHaveAttribute("aria-invalid", "true");
  await expect(field).toHaveAttribute("aria-describedby", new RegExp(`${id}-error`));
  await expect(page.locator(`#${id}-error`)).toContainText(message);
}

/** A message the test SMTP server received: recipients, subject, decoded text and HTML. */
export type Mail = { to: string[]; subject: string; text: string; html: string };

/** Every message the test SMTP server received for `address` with `subject`, oldest first. */
function mailsTo(address: string, subject: string): Mail[] {
  const folder = process.env.PORTAL_E2E_MAIL_DIR;
  if (!folder) throw new Error("PORTAL_E2E_MAIL_DIR is not set: no SMTP server to read");
  if (!fs.existsSync(folder)) return [];
  return fs
    .readdirSync(folder)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => JSON.parse(fs.readFileSync(path.join(folder, name), "utf8")) as Mail)
    .filter((mail) => mail.to.includes(address) && mail.subject === subject);
}

/** Waits until the `count`-th message to `address` with `subject` arrives, and returns it. */
export async function mailTo(address: string, subject: string, count = 1): Promise<Mail> {
  let found: Mail[] = [];
  await expect
    .poll(() => (found = mailsTo(address, subject)).length, {
      message: `message ${count} to ${address}: ${subject}`,
      timeout: 15_000,
    })
    .toBeGreaterThanOrEqual(count);
  return found[count - 1];
}

/** The path (with its token) of the link in `mail` to `page`, to open on the server under test. */
export function linkIn(mail: Mail, page: string): string {
  const match = mail.text.match(new RegExp(`https?://[^/\\s]+(${page}\\?token=[A-Za-z0-9_-]+)`));
  if (!match) throw new Error(`no link to ${page} in: ${mail.text}`);
  return match[1];
}

/**
 * The code an authenticator app shows for `secret` (base32, spaces allowed) `offsetSteps`
 * 30-second steps from now: RFC 6238 with HMAC-SHA-1 and 6 digits, computed here with Node's
 * crypto, independently of the server.
 */
export function totpCode(secret: string, offsetSteps = 0): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const char of secret.replace(/[\s=]/g, "").toUpperCase()) {
    bits += alphabet.indexOf(char).toString(2).padStart(5, "0");
  }
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30) + offsetSteps));
  const mac = crypto.createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, "0");
}
