// Recovery and the sign-in address by mail, as a member does it: every link is taken from a
// message the test SMTP server received. Runs with and without JavaScript.
import { test, expect, signUpViaApi, newMember, mailTo, linkIn } from "./fixtures";
import type { Page } from "@playwright/test";

async function signIn(page: Page, email: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/login/);
}

test("forgot password: the mailed link sets a new password, and it works once", async ({ page, context }) => {
  const member = await signUpViaApi(page);
  await context.clearCookies();
  await page.goto("/login");
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await page.getByLabel("E-mail address").fill(member.email);
  await page.getByRole("button", { name: "Send the link" }).click();
  await expect(page.getByRole("status")).toContainText("on its way");

  const mail = await mailTo(member.email, "Reset your password");
  const link = linkIn(mail, "/password/reset");
  await page.goto(link);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Choose a new password");
  await page.getByLabel("New password").fill("a brighter harbour at dawn");
  await page.getByRole("button", { name: "Set the new password" }).click();
  await expect(page).toHaveURL(/\/login\?notice=password-reset/);
  await expect(page.getByRole("status")).toContainText("Your password is changed");

  await signIn(page, member.email, "a brighter harbour at dawn");
  await mailTo(member.email, "Your password was changed");

  await page.goto(link);
  await expect(page.getByRole("alert")).toContainText("was used already");
  await expect(page.getByRole("link", { name: "Ask for a new link" })).toHaveAttribute("href", "/password/forgot");
});

test("a new password that breaks the policy is refused on the reset page", async ({ page, context }) => {
  const member = await signUpViaApi(page);
  await context.clearCookies();
  await page.request.post("/api/auth/password/forgot", { data: { Email: member.email } });
  await page.goto(linkIn(await mailTo(member.email, "Reset your password"), "/password/reset"));
  await page.getByLabel("New password").fill("short");
  await page.getByRole("button", { name: "Set the new password" }).click();
  await expect(page.locator(".field-messages, .form-alert").first()).toContainText("at least 8 characters");
  await expect(page.getByLabel("New password")).toBeVisible();
});

test("sign-up mails a verification link; following it shows the address as verified", async ({ page }) => {
  const member = newMember();
  const signUp = await page.request.post("/api/auth/signup", {
    data: { Email: member.email, Password: member.password, FullName: member.fullName },
  });
  expect(signUp.status()).toBe(201);
  await page.goto("/profile/password");
  await expect(page.getByTestId("email-status")).toContainText("Not verified yet");

  await page.goto(linkIn(await mailTo(member.email, "Confirm your e-mail address"), "/email/verify"));
  await page.getByRole("button", { name: "Confirm my address" }).click();
  await expect(page.getByRole("status")).toContainText("verified");
  await page.goto("/profile/password");
  await expect(page.getByTestId("email-status")).toContainText("Verified");
});

test("changing the sign-in address: confirm from the new one, sign in with it, the old one is told", async ({ page, context }) => {
  const member = await signUpViaApi(page);
  const newAddress = member.email.replace("@example.com", "@example.org");
  await page.goto("/profile/password");
  await page.getByLabel("New e-mail address").fill(newAddress);
  await page.getByLabel("Your password").fill(member.password);
  await page.getByRole("button", { name: "Send a confirmation link" }).click();
  await expect(page.getByRole("status").filter({ hasText: "confirmation link" })).toBeVisible();

  await context.clearCookies();
  await page.goto(linkIn(await mailTo(newAddress, "Confirm your new e-mail address"), "/email/confirm"));
  await page.getByRole("button", { name: "Sign in with this address from now on" }).click();
  await expect(page).toHaveURL(/notice=email-changed/);
  await signIn(page, newAddress, member.password);

  const told = await mailTo(member.email, "Your sign-in address was changed");
  expect(told.text).toContain(newAddress);
  expect(linkIn(told, "/email/undo")).toMatch(/^\/email\/undo\?token=/);
});
