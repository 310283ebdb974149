// Two-factor sign-in as a member does it, with and without JavaScript: set up an authenticator
// app from the security page (the code computed here from the key the page shows), keep the
// recovery codes, sign out, sign in with password then code, and with a recovery code.
import { test, expect, expectFieldError, signUpViaApi, totpCode, waitForHydration } from "./fixtures";
import type { Page } from "@playwright/test";

async function signInWithPassword(page: Page, email: string, password: string) {
  await page.goto("/login?next=/profile/security");
  if (test.info().project.use.javaScriptEnabled) await waitForHydration(page);
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/login\/code\?next=%2Fprofile%2Fsecurity$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Enter your code");
}

test("turn on an authenticator app, then sign in with its code or a recovery code", async ({ page, context, browserErrors }) => {
  // The password change refused for its missing code answers 400, which the browser logs.
  browserErrors.allowFor(/save_profile_page/);
  const member = await signUpViaApi(page);
  await page.goto("/profile/security");
  await expect(page.getByTestId("two-factor-status")).toContainText("Off");
  await page.getByRole("button", { name: "Set up an authenticator app" }).click();
  await expect(page).toHaveURL(/\/profile\/security\/authenticator$/);
  // The section's sub-page keeps it marked in the navigation.
  await expect(page.getByRole("link", { name: "Security and privacy" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByRole("img", { name: /QR code/ })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("setup.png"), fullPage: true });
  const secret = (await page.getByTestId("totp-secret").textContent()) ?? "";
  expect(secret.replace(/\s/g, "")).toMatch(/^[A-Z2-7]{32}$/);

  await page.getByLabel("6-digit code").fill("000000");
  await page.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
  await expect(page.getByRole("alert")).toContainText("not correct");
  await page.getByLabel("6-digit code").fill(totpCode(secret));
  await page.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
  await expect(page).toHaveURL(/\/profile\/security\/recovery-codes$/);
  const codes = await page.getByTestId("recovery-codes").locator("code").allTextContents();
  expect(codes).toHaveLength(10);
  // Shown once: the page has nothing to show the second time.
  await page.reload();
  await expect(page.getByText("These codes were shown already")).toBeVisible();
  await page.goto("/profile/security");
  await expect(page.getByTestId("two-factor-status")).toContainText("On");
  await expect(page.locator(".security-log li").first()).toContainText("Two-factor sign-in turned on");

  // The next step's code, kept: computing it again later could cross a step boundary and give
  // a new code instead of the same one.
  const signInCode = totpCode(secret, 1);
  await context.clearCookies();
  await signInWithPassword(page, member.email, member.password);
  await page.getByLabel("Code").fill(signInCode);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/profile\/security$/);
  await expect(page.locator(".security-log li").first()).toContainText("Signed in with an authenticator code");

  await context.clearCookies();
  await signInWithPassword(page, member.email, member.password);
  // The same code again is a replay.
  await page.getByLabel("Code").fill(signInCode);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("used already");
  await page.getByLabel("Code").fill(codes[0]);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/profile\/security$/);
  await expect(page.getByText("9 of 10 recovery codes left")).toBeVisible();

  // A new password needs a code as well.
  const newPassword = "lanterns over the old bridge";
  await page.goto("/profile/password");
  if (test.info().project.use.javaScriptEnabled) await waitForHydration(page);
  const fillPasswords = async () => {
    await page.getByLabel("Current password").fill(member.password);
    await page.getByLabel("New password").fill(newPassword);
    await page.getByLabel("Password confirmation").fill(newPassword);
  };
  await fillPasswords();
  await page.getByRole("button", { name: "Save changes" }).click();
  await expectFieldError(page, "TwoFactorCode", /required to change your password/);
  await fillPasswords();
  await page.getByLabel("Two-factor code").fill(codes[2]);
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status")).toContainText("Your password was changed");

  await page.goto("/profile/security");
  await page.locator("#disable_password").fill(newPassword);
  await page.locator("#disable_code").fill(codes[1]);
  await page.getByRole("button", { name: "Turn it off" }).click();
  await expect(page.getByRole("status")).toContainText("Two-factor sign-in is off");
});
