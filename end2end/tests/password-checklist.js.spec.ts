// The password rules are checked as the member types, by the same policy code as the server.
import { test, expect, waitForHydration, signUpViaApi, mailTo, linkIn } from "./fixtures";

test("the checklist ticks rules off as the password grows", async ({ page }) => {
  await page.goto("/signup");
  await waitForHydration(page);
  const length = page.locator(".checklist li", { hasText: "At least 8 characters" });
  await expect(length).toHaveAttribute("data-met", "false");

  await page.getByLabel("Password", { exact: true }).fill("harbour");
  await expect(length).toHaveAttribute("data-met", "false");
  await page.getByLabel("Password", { exact: true }).fill("harbours");
  await expect(length).toHaveAttribute("data-met", "true");

  await page.getByLabel("E-mail address").fill("harbours@example.com");
  await page.getByLabel("Password", { exact: true }).fill("harbours@example.com");
  await expect(page.locator(".checklist li", { hasText: "Not your e-mail address" })).toHaveAttribute(
    "data-met",
    "false",
  );
});

test("a common password is refused by the server with a message on the field", async ({
  page,
  browserErrors,
}) => {
  browserErrors.allowFor(/\/api\/fn\/sign_up$/);
  await page.goto("/signup");
  await waitForHydration(page);
  await page.getByLabel("Full name").fill("Jane Doe");
  await page.getByLabel("E-mail address").fill(`common-${Date.now()}@example.com`);
  await page.getByLabel("Password", { exact: true }).fill("qwerty123");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.locator("#password-error")).toContainText("commonly used");
  await expect(page).toHaveURL(/\/signup/);
});

test("a reset link's page ticks the rules off too, with the account's address", async ({ page, context }) => {
  const member = await signUpViaApi(page);
  await context.clearCookies();
  await page.request.post("/api/auth/password/forgot", { data: { Email: member.email } });
  await page.goto(linkIn(await mailTo(member.email, "Reset your password"), "/password/reset"));
  await waitForHydration(page);
  const length = page.locator(".checklist li", { hasText: "At least 8 characters" });
  const notEmail = page.locator(".checklist li", { hasText: "Not your e-mail address" });
  await expect(length).toHaveAttribute("data-met", "false");

  await page.getByLabel("New password").fill(member.email);
  await expect(length).toHaveAttribute("data-met", "true");
  await expect(notEmail).toHaveAttribute("data-met", "false");

  await page.getByLabel("New password").fill("a brighter harbour at dawn");
  await expect(notEmail).toHaveAttribute("data-met", "true");
  await page.getByRole("button", { name: "Set the new password" }).click();
  await expect(page).toHaveURL(/\/login\?notice=password-reset/);
});
