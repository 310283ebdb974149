// Shared test fixture: every test fails if the browser logged an error (a failed hydration,
// a missing asset, a panic in the wasm) while it ran, unless the test said it expects it.
import { test as base, expect, type Page } from "@playwright/test";

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

/** Waits until the wasm has hydrated the page (App sets the marker in an effect). */
export async function waitForHydration(page: Page) {
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
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
