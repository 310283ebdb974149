// The application shell: layout, navigation and the 404 page, with and without JavaScript.
import { test, expect, signUpViaApi } from "./fixtures";

const sections = [
  ["Personal information", "/profile"],
  ["Professional profile", "/profile/professional"],
  ["Billing information", "/profile/billing"],
  ["Notifications", "/profile/notifications"],
  ["Password", "/profile/password"],
  ["Support contact", "/profile/support"],
  ["Security and privacy", "/profile/security"],
] as const;

test("the shell shows navigation to the profile pages", async ({ page }) => {
  const response = await page.goto("/");
  expect(response?.status()).toBe(200);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(
    "Welcome to your member portal",
  );
  const nav = page.getByRole("navigation", { name: "Your profile" });
  for (const [title, href] of sections) {
    await expect(nav.getByRole("link", { name: title, exact: true })).toHaveAttribute(
      "href",
      href,
    );
  }
});

test("following a navigation link opens that page and marks it current", async ({ page }) => {
  await signUpViaApi(page);
  await page.goto("/profile");
  const nav = page.getByRole("navigation", { name: "Your profile" });
  await expect(nav.getByRole("link", { name: "Personal information" })).toHaveAttribute(
    "aria-current",
    "page",
  );

  await nav.getByRole("link", { name: "Billing information" }).click();
  await expect(page).toHaveURL(/\/profile\/billing$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Billing information");
  await expect(nav.getByRole("link", { name: "Billing information" })).toHaveAttribute(
    "aria-current",
    "page",
  );
  await expect(nav.getByRole("link", { name: "Personal information" })).not.toHaveAttribute(
    "aria-current",
    "page",
  );
});

test("an unknown address answers 404 with a helpful page", async ({ page, browserErrors }) => {
  browserErrors.allowFor(/\/no\/such\/page$/);
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
  await expect(page.getByRole("link", { name: "Back to the start page" })).toBeVisible();
});
