// What a member types or chooses while the wasm is still on its way (a slow phone) is kept when
// the form hydrates, the form's state takes it up (unsaved changes, the rules, the checklist),
// and saving sends it. Each test holds the wasm back, fills the form, checks the page was not
// hydrated yet, then waits for hydration and looks again.
import type { Page } from "@playwright/test";
import {
  test,
  expect,
  expectFieldError,
  holdBackWasm,
  linkIn,
  mailTo,
  newMember,
  signUpViaApi,
  totpCode,
  waitForHydration,
} from "./fixtures";

const saved = "Your changes were saved.";

async function save(page: Page, status = saved) {
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status").filter({ hasText: status })).toHaveText(status);
}

test("sign-in: the address and password typed before hydration sign in", async ({ page, context }) => {
  const member = await signUpViaApi(page);
  await context.clearCookies();
  const notHydrated = await holdBackWasm(page);
  await page.goto("/login");
  await page.getByLabel("E-mail address").fill(member.email);
  await page.getByLabel("Password", { exact: true }).fill(member.password);
  await notHydrated();

  await waitForHydration(page);
  await expect(page.getByLabel("E-mail address")).toHaveValue(member.email);
  await expect(page.getByLabel("Password", { exact: true })).toHaveValue(member.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/profile$/);
});

test("sign-up: the fields and the checklist follow what was typed before hydration", async ({ page }) => {
  const member = newMember("Ada Early");
  const notHydrated = await holdBackWasm(page);
  await page.goto("/signup");
  await page.getByLabel("Full name").fill(member.fullName);
  await page.getByLabel("E-mail address").fill("ada-at-example");
  await page.getByLabel("Password", { exact: true }).fill(member.password);
  await notHydrated();

  await waitForHydration(page);
  await expect(page.getByLabel("Full name")).toHaveValue(member.fullName);
  await expect(page.getByLabel("Password", { exact: true })).toHaveValue(member.password);
  await expect(page.locator(".checklist li", { hasText: "At least 8 characters" })).toHaveAttribute(
    "data-met",
    "true",
  );
  // The address field was left, so its rule speaks as it would after typing once hydrated.
  await expectFieldError(page, "email", /must look like name@example.com/);
  await page.getByLabel("E-mail address").fill(member.email);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.locator(".member-name")).toHaveText(member.fullName);
});

test("personal information: text, choices and a date typed early are kept and saved", async ({ page }) => {
  await signUpViaApi(page, "Jane Doe");
  const notHydrated = await holdBackWasm(page);
  await page.goto("/profile");
  await page.getByLabel("Full name").fill("Ada Early");
  await page.getByLabel("Gender").selectOption("Female");
  await page.getByLabel("Date of birth").fill("1990-06-15");
  await page.getByLabel("Mobile phone").fill("call me maybe");
  await page.getByLabel("Country").selectOption({ label: "Portugal" });
  await page.getByLabel("City").fill("Lisbon");
  await notHydrated();

  await waitForHydration(page);
  await expect(page.getByLabel("Full name")).toHaveValue("Ada Early");
  await expect(page.getByLabel("Gender")).toHaveValue("Female");
  await expect(page.getByLabel("Date of birth")).toHaveValue("1990-06-15");
  await expect(page.getByLabel("Country")).toHaveValue("620");
  await expect(page.getByLabel("City")).toHaveValue("Lisbon");
  // The island's state is what the page shows: the greeting, unsaved changes, the rules.
  await expect(page.locator(".salutation strong")).toHaveText("Dear Ms Early");
  await expect(page.getByText("You have unsaved changes.")).toBeVisible();
  await expectFieldError(page, "MobilePhone", /must not contain letters/);

  await page.getByLabel("Mobile phone").fill("+351 912 345 678");
  await save(page);
  await page.reload();
  await waitForHydration(page);
  await expect(page.getByLabel("Full name")).toHaveValue("Ada Early");
  await expect(page.getByLabel("Gender")).toHaveValue("Female");
  await expect(page.getByLabel("Date of birth")).toHaveValue("1990-06-15");
  await expect(page.getByLabel("Country")).toHaveValue("620");
});

test("professional profile: summary, tags and the public switch typed early are kept", async ({ page }) => {
  await signUpViaApi(page);
  const notHydrated = await holdBackWasm(page);
  await page.goto("/profile/professional");
  await page.getByLabel("Position").fill("Cartographer");
  await page.getByLabel("Profile summary").fill("I draw **maps**.");
  await page.getByLabel("Tags", { exact: true }).fill("maps, type");
  await page.getByRole("switch", { name: "Public profile" }).check();
  await notHydrated();

  await waitForHydration(page);
  await expect(page.getByLabel("Position")).toHaveValue("Cartographer");
  await expect(page.getByLabel("Profile summary")).toHaveValue("I draw **maps**.");
  await expect(page.getByRole("switch", { name: "Public profile" })).toBeChecked();
  await expect(page.locator(".chip > span")).toHaveText(["maps", "type"]);
  await expect(page.locator(".markdown-preview .markdown strong")).toHaveText("maps");
  await save(page);
  await page.reload();
  await expect(page.getByLabel("Profile summary")).toHaveValue("I draw **maps**.");
  await expect(page.getByLabel("Tags", { exact: true })).toHaveValue("maps, type");
  await expect(page.getByRole("switch", { name: "Public profile" })).toBeChecked();
});

test("billing: a country chosen and a tax number typed early are checked together", async ({ page }) => {
  await signUpViaApi(page);
  const notHydrated = await holdBackWasm(page);
  await page.goto("/profile/billing");
  await page.getByLabel("Billing name").fill("Acme Maps Lda");
  await page.getByLabel("Billing country").selectOption({ label: "Portugal" });
  await page.getByLabel("Tax ID number").fill("DE123456789");
  await page.getByLabel("Billing name").focus();
  await notHydrated();

  await waitForHydration(page);
  await expect(page.getByLabel("Billing country")).toHaveValue("620");
  await expectFieldError(page, "TaxIDNumber", /must start with PT/);
  await page.getByLabel("Tax ID number").fill("PT123456789");
  await save(page);
  await page.reload();
  await expect(page.getByLabel("Billing name")).toHaveValue("Acme Maps Lda");
  await expect(page.getByLabel("Billing country")).toHaveValue("620");
  await expect(page.getByLabel("Tax ID number")).toHaveValue("PT123456789");
});

test("notifications: switches turned before hydration are saved", async ({ page }) => {
  await signUpViaApi(page);
  const notHydrated = await holdBackWasm(page);
  await page.goto("/profile/notifications");
  const newsletter = page.getByRole("switch", { name: "Newsletter" });
  const wasOn = await newsletter.isChecked();
  await newsletter.setChecked(!wasOn);
  await notHydrated();

  await waitForHydration(page);
  await expect(newsletter).toBeChecked({ checked: !wasOn });
  await expect(page.getByText("You have unsaved changes.")).toBeVisible();
  await save(page);
  await page.reload();
  await expect(newsletter).toBeChecked({ checked: !wasOn });
});

test("credentials: passwords typed early tick the checklist and change the password", async ({ page, request }) => {
  const member = await signUpViaApi(page);
  const newPassword = "a brighter harbour at dawn";
  const notHydrated = await holdBackWasm(page);
  await page.goto("/profile/password");
  await page.getByLabel("Current password").fill(member.password);
  await page.getByLabel("New password").fill(newPassword);
  await page.getByLabel("Password confirmation").fill(newPassword);
  await notHydrated();

  await waitForHydration(page);
  await expect(page.getByLabel("New password")).toHaveValue(newPassword);
  await expect(page.locator(".checklist li[data-met]").first()).toHaveAttribute("data-met", "true");
  await expect(page.locator('.checklist li[data-met="false"]')).toHaveCount(0);
  await save(page, "Your password was changed. Your other devices were signed out.");
  const signIn = await request.post("/api/auth/login", {
    data: { Email: member.email, Password: newPassword },
  });
  expect(signIn.status()).toBe(200);
});

test("support contact: fields typed early are kept and replace the profile", async ({ page }) => {
  await signUpViaApi(page);
  const notHydrated = await holdBackWasm(page);
  await page.goto("/profile/support");
  await page.getByLabel("E-mail").fill("help@acme.example");
  await page.getByLabel("Telephone").fill("+1 425 555 5555");
  await notHydrated();

  await waitForHydration(page);
  await expect(page.getByLabel("E-mail")).toHaveValue("help@acme.example");
  await save(page);
  const api = await page.request.get("/v1/profiles/support");
  expect(await api.json()).toMatchObject({ email: "help@acme.example", telephone: "+1 425 555 5555" });
});

test("e-mail change: the new address and password typed early are sent", async ({ page }) => {
  const member = await signUpViaApi(page);
  const notHydrated = await holdBackWasm(page);
  await page.goto("/profile/password");
  const newEmail = `moved-${member.email}`;
  await page.getByLabel("New e-mail address").fill(newEmail);
  await page.getByLabel("Your password").fill(member.password);
  await notHydrated();

  await waitForHydration(page);
  await expect(page.getByLabel("New e-mail address")).toHaveValue(newEmail);
  await expect(page.getByLabel("Your password")).toHaveValue(member.password);
  await page.getByRole("button", { name: "Send a confirmation link" }).click();
  await expect(page.getByText("A confirmation link is on its way to the new address.")).toBeVisible();
  await mailTo(newEmail, "Confirm your new e-mail address");
});

test("password reset: the new password typed early ticks the rules and is set", async ({ page, context }) => {
  const member = await signUpViaApi(page);
  await context.clearCookies();
  await page.request.post("/api/auth/password/forgot", { data: { Email: member.email } });
  const link = linkIn(await mailTo(member.email, "Reset your password"), "/password/reset");
  const notHydrated = await holdBackWasm(page);
  await page.goto(link);
  await page.getByLabel("New password").fill("a brighter harbour at dawn");
  await notHydrated();

  await waitForHydration(page);
  await expect(page.getByLabel("New password")).toHaveValue("a brighter harbour at dawn");
  await expect(page.locator('.checklist li[data-met="false"]')).toHaveCount(0);
  await page.getByRole("button", { name: "Set the new password" }).click();
  await expect(page).toHaveURL(/\/login\?notice=password-reset/);
});

test("two-factor code: a code typed before hydration signs in", async ({ page, context }) => {
  const member = await signUpViaApi(page);
  const origin = { Origin: test.info().project.use.baseURL ?? "" };
  const begun = await page.request.post("/api/account/two-factor/totp", { headers: origin });
  expect(begun.status(), await begun.text()).toBe(200);
  const secret: string = (await begun.json()).Value.Secret;
  const confirmed = await page.request.post("/api/account/two-factor/totp/confirm", {
    headers: origin,
    data: { Code: totpCode(secret) },
  });
  expect(confirmed.status(), await confirmed.text()).toBe(200);
  await context.clearCookies();
  const signInCode = totpCode(secret, 1);

  await page.goto("/login?next=/profile/security");
  await waitForHydration(page);
  await page.getByLabel("E-mail address").fill(member.email);
  await page.getByLabel("Password", { exact: true }).fill(member.password);
  const notHydrated = await holdBackWasm(page);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/login\/code/);
  await page.getByLabel("Code").fill(signInCode);
  await notHydrated();

  await waitForHydration(page);
  await expect(page.getByLabel("Code")).toHaveValue(signInCode);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/profile\/security$/);
});
