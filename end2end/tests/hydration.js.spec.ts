// Runs with JavaScript only: the wasm takes over the server-rendered page.
import { test, expect, signUpViaApi, waitForHydration } from "./fixtures";

test("after hydration the salutation preview follows what the member types", async ({ page }) => {
  await signUpViaApi(page);
  await page.goto("/profile");
  await waitForHydration(page);

  const preview = page.locator(".salutation strong");
  await expect(preview).toHaveText("Dear Jane Doe");
  await page.getByLabel("Full name").fill("");
  await expect(preview).toHaveText("Dear member");
  await page.getByLabel("Full name").fill("Jane Doe");
  await expect(preview).toHaveText("Dear Jane Doe");
  await page.getByLabel("Gender").selectOption("Female");
  await expect(preview).toHaveText("Dear Ms Doe");
  await page.getByLabel("Gender").selectOption("Male");
  await expect(preview).toHaveText("Dear Mr Doe");
});
