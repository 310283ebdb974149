// Each profile page with JavaScript: edit, save, reload and find the values kept; mistakes are
// caught as the member types (the shared rules in wasm) or by the server, and shown by the field.
import { test, expect, waitForHydration, signUpViaApi, patchProfile, expectFieldError } from "./fixtures";

test("personal information: edit, save, reload; bad date and phone shown by their fields", async ({ page }) => {
  await signUpViaApi(page, "Jane Doe");
  await page.goto("/profile");
  await waitForHydration(page);

  await page.getByLabel("Nickname").fill("JD");
  await page.getByLabel("Gender").selectOption("Female");
  await expect(page.locator(".salutation")).toContainText("Dear Ms Doe");
  await page.getByLabel("Date of birth").fill("1990-06-15");
  await page.getByLabel("Mobile phone").fill("+351 912 345 678");
  await page.getByLabel("City").fill("Lisbon");
  await page.getByLabel("Country").selectOption({ label: "Portugal" });
  await expect(page.getByText("You have unsaved changes.")).toBeVisible();
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status")).toHaveText("Your changes were saved.");

  await page.reload();
  await waitForHydration(page);
  await expect(page.getByLabel("Nickname")).toHaveValue("JD");
  await expect(page.getByLabel("Gender")).toHaveValue("Female");
  await expect(page.getByLabel("Date of birth")).toHaveValue("1990-06-15");
  await expect(page.getByLabel("Mobile phone")).toHaveValue("+351 912 345 678");
  await expect(page.getByLabel("Country")).toHaveValue("620");

  await page.getByLabel("Date of birth").fill("2999-01-01");
  await page.getByLabel("Mobile phone").fill("call me maybe");
  await page.getByLabel("City").fill("Porto");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expectFieldError(page, "DateOfBirth", /must not be in the future/);
  await expectFieldError(page, "MobilePhone", /must not contain letters/);
  await expect(page.getByLabel("Date of birth")).toBeFocused();
  await expect(page.getByLabel("City")).toHaveValue("Porto");

  await page.reload();
  await expect(page.getByLabel("City")).toHaveValue("Lisbon");
});

test("professional profile: preview, chips, normalised links, public switch", async ({ page }) => {
  await signUpViaApi(page);
  await page.goto("/profile/professional");
  await waitForHydration(page);

  await page.getByLabel("Position").fill("Cartographer");
  await page.getByLabel("Company").fill("Acme Maps");
  await page.getByLabel("Profile summary").fill("I draw **maps** for [Acme](https://acme.example).");
  const preview = page.locator(".markdown-preview .markdown");
  await expect(preview.locator("strong")).toHaveText("maps");
  await expect(preview.locator("a")).toHaveAttribute("href", "https://acme.example");
  await page.getByLabel("Website").fill("www.acme.example");
  await page.getByLabel("Tags", { exact: true }).fill("maps, type, coffee");
  await expect(page.locator(".chip > span")).toHaveText(["maps", "type", "coffee"]);
  await page.getByRole("button", { name: "Remove tag type" }).click();
  await expect(page.getByLabel("Tags", { exact: true })).toHaveValue("maps, coffee");
  await page.getByLabel("Twitter").fill("https://twitter.com/jane_doe");
  await page.getByRole("switch", { name: "Public profile" }).check();
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status")).toHaveText("Your changes were saved.");
  await expect(page.getByLabel("Website")).toHaveValue("https://www.acme.example");
  await expect(page.getByLabel("Twitter")).toHaveValue("jane_doe");

  await page.reload();
  await waitForHydration(page);
  await expect(page.getByLabel("Position")).toHaveValue("Cartographer");
  await expect(page.getByLabel("Profile summary")).toHaveValue("I draw **maps** for [Acme](https://acme.example).");
  await expect(page.getByLabel("Tags", { exact: true })).toHaveValue("maps, coffee");
  await expect(page.getByRole("switch", { name: "Public profile" })).toBeChecked();

  await page.getByLabel("GitHub").fill("-not-a-handle-");
  await page.getByLabel("LinkedIn").fill("https://facebook.com/jane");
  await page.getByLabel("GitHub").blur();
  await expectFieldError(page, "Github", /GitHub must be a username/);
  await page.getByRole("button", { name: "Save changes" }).click();
  await expectFieldError(page, "Linkedin", /LinkedIn must be a LinkedIn profile address/);
  await expect(page.getByLabel("GitHub")).toBeFocused();
});

test("billing: the tax number must carry the billing country's VAT prefix", async ({ page }) => {
  await signUpViaApi(page);
  await page.goto("/profile/billing");
  await waitForHydration(page);

  await page.getByLabel("Billing name").fill("Acme Maps Lda");
  await page.getByLabel("Billing e-mail").fill("not-an-address");
  await page.getByLabel("Billing country").selectOption({ label: "Portugal" });
  await page.getByLabel("Tax ID number").fill("DE123456789");
  // Checked in the browser before any save: the country's code comes from its option.
  await page.getByLabel("Tax ID number").blur();
  await expectFieldError(page, "TaxIDNumber", /must start with PT/);
  await page.getByRole("button", { name: "Save changes" }).click();
  await expectFieldError(page, "BillingEmail", /Billing e-mail must look like name@example.com/);
  await expectFieldError(page, "TaxIDNumber", /must start with PT/);

  await page.getByLabel("Billing e-mail").fill("invoices@acme.example");
  await page.getByLabel("Tax ID number").fill("pt 123 456 789");
  await expect(page.locator("#TaxIDNumber-error")).toHaveCount(0);
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status")).toHaveText("Your changes were saved.");
  await expect(page.getByLabel("Tax ID number")).toHaveValue("PT123456789");

  await page.reload();
  await expect(page.getByLabel("Billing name")).toHaveValue("Acme Maps Lda");
  await expect(page.getByLabel("Billing e-mail")).toHaveValue("invoices@acme.example");
  await expect(page.getByLabel("Billing country")).toHaveValue("620");
});

test("notifications: switches are saved, and leaving with unsaved changes asks first", async ({ page }) => {
  await signUpViaApi(page);
  await patchProfile(page, { NotifyOnBlogComments: false, SignUpToNewsletter: false });
  await page.goto("/profile/notifications");
  await waitForHydration(page);

  await page.getByRole("switch", { name: "Blog comments" }).check();
  // Links load whole pages (only the forms run in the browser): the browser asks first.
  const dialogs: string[] = [];
  page.once("dialog", (dialog) => {
    dialogs.push(dialog.type());
    void dialog.dismiss();
  });
  await page.getByRole("link", { name: "Personal information" }).click({ noWaitAfter: true });
  await expect.poll(() => dialogs).toEqual(["beforeunload"]);
  await expect(page).toHaveURL(/\/profile\/notifications$/);

  await page.getByRole("switch", { name: "Newsletter" }).check();
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status")).toHaveText("Your changes were saved.");

  // A new change after a save is unsaved again.
  await page.getByRole("switch", { name: "Event comments" }).check();
  page.once("dialog", (dialog) => {
    dialogs.push(dialog.type());
    void dialog.dismiss();
  });
  await page.getByRole("link", { name: "Personal information" }).click({ noWaitAfter: true });
  await expect.poll(() => dialogs).toEqual(["beforeunload", "beforeunload"]);
  await page.getByRole("switch", { name: "Event comments" }).uncheck();
  await page.reload();
  await expect(page.getByRole("switch", { name: "Blog comments" })).toBeChecked();
  await expect(page.getByRole("switch", { name: "Newsletter" })).toBeChecked();
  await expect(page.getByRole("switch", { name: "Event comments" })).not.toBeChecked();
});

test("password: the rules, a wrong current password, and other devices signed out", async ({ page, request, browserErrors }) => {
  browserErrors.allowFor(/save_profile_page/);
  const member = await signUpViaApi(page);
  // Another device: its own session, outside this browser.
  const other = await request.post("/api/auth/login", {
    data: { Email: member.email, Password: member.password },
  });
  const otherToken = (await other.json()).Value.AccessToken as string;
  await page.goto("/profile/password");
  await waitForHydration(page);

  await page.getByLabel("Current password").fill("not my password");
  await page.getByLabel("New password").fill("short");
  await expect(page.locator(".checklist li").first()).toHaveAttribute("data-met", "false");
  await page.getByLabel("Password confirmation").fill("different");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expectFieldError(page, "NewPassword", /at least 8 characters/);
  await expectFieldError(page, "ConfirmPassword", /must match the new password/);

  const newPassword = "lanterns over the old bridge";
  await page.getByLabel("New password").fill(newPassword);
  await page.getByLabel("Password confirmation").fill(newPassword);
  await page.getByRole("button", { name: "Save changes" }).click();
  await expectFieldError(page, "CurrentPassword", /Current password is not correct/);

  await page.getByLabel("Current password").fill(member.password);
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status")).toHaveText(
    "Your password was changed. Your other devices were signed out.",
  );
  await expect(page.getByLabel("New password")).toHaveValue("");

  const revoked = await request.get("/login/me", {
    headers: { Authorization: `Bearer ${otherToken}` },
  });
  expect(revoked.status()).toBe(401);
  // That client still holds its revoked session cookie, so it says where it posts from.
  const again = await request.post("/api/auth/login", {
    data: { Email: member.email, Password: newPassword },
    headers: { Origin: test.info().project.use.baseURL ?? "" },
  });
  expect(again.status()).toBe(200);
});

test("a form can be filled and saved with the keyboard alone", async ({ page }) => {
  await signUpViaApi(page);
  await page.goto("/profile/notifications");
  await waitForHydration(page);
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();
  await page.keyboard.press("Enter");
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press("Tab");
    if (await page.getByRole("switch", { name: "Event comments" }).evaluate((el) => el === document.activeElement)) break;
  }
  await expect(page.getByRole("switch", { name: "Event comments" })).toBeFocused();
  await page.keyboard.press("Space");
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press("Tab");
    if (await page.getByRole("button", { name: "Save changes" }).evaluate((el) => el === document.activeElement)) break;
  }
  await page.keyboard.press("Enter");
  await expect(page.getByRole("status")).toHaveText("Your changes were saved.");
  await page.reload();
  await expect(page.getByRole("switch", { name: "Event comments" })).toBeChecked();
});
