// The profile pages without JavaScript: the form posts to the server function, which sends the
// browser back to the page, saved or with the errors and everything that was typed.
import { test, expect, signUpViaApi } from "./fixtures";

test("personal information saves and shows errors without JavaScript", async ({ page }) => {
  await signUpViaApi(page, "Jane Doe");
  await page.goto("/profile");
  await expect(page.getByLabel("Full name")).toHaveValue("Jane Doe");

  await page.getByLabel("Nickname").fill("JD");
  await page.getByLabel("Date of birth").fill("1990-06-15");
  await page.getByLabel("Country").selectOption({ label: "Portugal" });
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page).toHaveURL(/\/profile\?saved=1$/);
  await expect(page.getByRole("status")).toHaveText("Your changes were saved.");
  await expect(page.getByLabel("Nickname")).toHaveValue("JD");
  await expect(page.getByLabel("Country")).toHaveValue("620");

  await page.getByLabel("Full name").fill("");
  await page.getByLabel("Landline").fill("12");
  await page.getByLabel("City").fill("Lisbon");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.locator("#FullName")).toHaveAttribute("aria-invalid", "true");
  await expect(page.locator("#FullName-error")).toHaveText("Full name is required.");
  await expect(page.locator("#LandLine-error")).toContainText("must have 5 to 20 digits");
  await expect(page.getByLabel("City")).toHaveValue("Lisbon");
  await expect(page.getByLabel("Landline")).toHaveValue("12");

  await page.goto("/profile");
  await expect(page.getByLabel("Full name")).toHaveValue("Jane Doe");
  await expect(page.getByLabel("City")).toHaveValue("");
});

test("billing and notifications save without JavaScript", async ({ page }) => {
  await signUpViaApi(page);
  await page.goto("/profile/billing");
  await page.getByLabel("Billing e-mail").fill("billing@");
  await page.getByLabel("Tax ID number").fill("x");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.locator("#BillingEmail-error")).toContainText("must look like name@example.com");
  await expect(page.locator("#TaxIDNumber-error")).toContainText("must be 2 to 20 letters and digits long");
  await expect(page.getByLabel("Billing e-mail")).toHaveValue("billing@");

  await page.getByLabel("Billing e-mail").fill("billing@acme.example");
  await page.getByLabel("Tax ID number").fill("");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page).toHaveURL(/\/profile\/billing\?saved=1$/);
  await expect(page.getByLabel("Billing e-mail")).toHaveValue("billing@acme.example");

  await page.goto("/profile/notifications");
  const digest = page.getByRole("switch", { name: "Activity digest" });
  const wasOn = await digest.isChecked();
  await digest.setChecked(!wasOn);
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status")).toHaveText("Your changes were saved.");
  await expect(digest).toBeChecked({ checked: !wasOn });
});

test("without JavaScript the professional page offers no draft button it could not run", async ({
  page,
}) => {
  await signUpViaApi(page);
  await page.goto("/profile/professional");
  await expect(page.getByLabel("Profile summary", { exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: "Save changes" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Draft with AI" })).toHaveCount(0);
});
