// Runs with JavaScript disabled only: the server-rendered page stands on its own.
import { test, expect, signUpViaApi } from "./fixtures";

test("without JavaScript the page is never marked hydrated", async ({ page }) => {
  await signUpViaApi(page);
  await page.goto("/profile");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Personal information");
  await expect(page.locator("html")).not.toHaveAttribute("data-hydrated", "true");
  await expect(page.locator(".salutation strong")).toHaveText("Dear Jane Doe");
});
