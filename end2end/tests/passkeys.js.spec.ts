// Passkeys as a member uses them in Chromium, with the DevTools protocol's virtual authenticator
// standing in for the device's (a platform authenticator that keeps discoverable credentials and
// verifies its user): add one on the security page, sign in with it alone, use it in place of
// the authenticator code, remove it. WebAuthn needs the site to have a name, so these pages are
// opened at localhost rather than 127.0.0.1 (the same server).
import { test, expect, signUpViaApi, totpCode } from "./fixtures";
import type { Page } from "@playwright/test";

test.use({
  baseURL: async ({ baseURL }, use) => use((baseURL ?? "").replace("//127.0.0.1", "//localhost")),
});

async function addVirtualAuthenticator(page: Page) {
  const client = await page.context().newCDPSession(page);
  await client.send("WebAuthn.enable");
  await client.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
}

test("add a passkey, sign in with it alone and in place of the code, then remove it", async ({ page, context, browserErrors }) => {
  // The wrong password is answered 400, which the browser logs.
  browserErrors.allowFor(/\/api\/account\/passkeys\/start$/);
  const member = await signUpViaApi(page);
  await addVirtualAuthenticator(page);
  await page.goto("/profile/security");
  const panel = page.locator("#passkeys");
  await expect(panel.getByTestId("passkey-count")).toHaveText("You have no passkeys yet.");

  // The password is asked first: a wrong one is refused in place.
  await panel.getByLabel("Name it").fill("This laptop");
  await panel.getByLabel("Current password").fill("not my password at all");
  await panel.getByRole("button", { name: "Add a passkey" }).click();
  await expect(panel.getByRole("alert")).toContainText("password");
  await panel.getByLabel("Current password").fill(member.password);
  await panel.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page).toHaveURL(/notice=passkey-added/);
  await expect(page.getByRole("status")).toContainText("Passkey added");
  await expect(panel.getByTestId("passkey-count")).toHaveText("1 passkey");
  await expect(panel.locator(".passkeys li")).toContainText("This laptop");
  await expect(page.locator(".security-log li").first()).toContainText("Passkey added: This laptop");
  await page.screenshot({ path: test.info().outputPath("security.png"), fullPage: true });

  // Signed out, the sign-in page offers the passkey: no address, no password.
  await context.clearCookies();
  await page.goto("/login?next=/profile/security");
  await page.getByRole("button", { name: "Use a passkey", exact: true }).click();
  await expect(page).toHaveURL(/\/profile\/security$/);
  await expect(page.locator(".security-log li").first()).toContainText("Signed in with a passkey");

  // With the authenticator app on, the passkey stands in for its code.
  await page.getByRole("button", { name: "Set up an authenticator app" }).click();
  const secret = (await page.getByTestId("totp-secret").textContent()) ?? "";
  await page.getByLabel("6-digit code").fill(totpCode(secret));
  await page.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
  await expect(page).toHaveURL(/\/profile\/security\/recovery-codes$/);
  await context.clearCookies();
  await page.goto("/login?next=/profile/security");
  await page.getByLabel("E-mail address").fill(member.email);
  await page.getByLabel("Password", { exact: true }).fill(member.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/login\/code/);
  await page.getByRole("button", { name: "Use a passkey instead" }).click();
  await expect(page).toHaveURL(/\/profile\/security$/);
  await expect(page.locator(".security-log li").first()).toContainText("Signed in with password and passkey");

  await page.getByRole("button", { name: "Remove the passkey This laptop" }).click();
  await expect(page.getByRole("status")).toContainText("Passkey removed");
  await expect(panel.getByTestId("passkey-count")).toHaveText("You have no passkeys yet.");
});
