// The security page as a member uses it, with and without JavaScript: two browsers signed in,
// one ends the other's session, and the other is signed out on its next page.
import { test, expect, signUpViaApi } from "./fixtures";

test("ending another browser's session signs it out on its next page", async ({ page, browser, baseURL }) => {
  const member = await signUpViaApi(page);
  const other = await browser.newContext({
    baseURL,
    javaScriptEnabled: test.info().project.use.javaScriptEnabled,
    userAgent:
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
  });
  const phone = await other.newPage();
  await phone.goto("/login");
  await phone.getByLabel("E-mail address").fill(member.email);
  await phone.getByLabel("Password", { exact: true }).fill(member.password);
  await phone.getByRole("button", { name: "Sign in" }).click();
  await expect(phone).not.toHaveURL(/\/login/);
  await phone.goto("/profile");
  await expect(phone.getByRole("heading", { level: 1 })).toHaveText("Personal information");

  await page.goto("/profile");
  await page.getByRole("link", { name: "Security and privacy" }).click();
  await expect(page).toHaveURL(/\/profile\/security$/);
  const sessions = page.getByTestId("session");
  await expect(sessions).toHaveCount(2);
  await expect(sessions.filter({ has: page.getByTestId("current-session") })).toHaveCount(1);
  await page.screenshot({ path: test.info().outputPath("security.png"), fullPage: true });
  const iphone = sessions.filter({ hasText: "Safari 17 on iPhone" });
  await expect(iphone).toHaveCount(1);
  await iphone.getByRole("button", { name: "Sign out Safari 17 on iPhone" }).click();
  await expect(page.getByRole("status")).toContainText("The session ended");
  await expect(page.getByTestId("session")).toHaveCount(1);
  await expect(page.locator(".security-log li").first()).toContainText("Ended the session of Safari 17 on iPhone");

  await phone.goto("/profile");
  await expect(phone).toHaveURL(/\/login\?next=\/profile/);
  await other.close();
});

test("the security log lists sign-ins, a failed one, and profile changes by field name", async ({ page, browser, baseURL }) => {
  const member = await signUpViaApi(page);
  const stranger = await browser.newContext({ baseURL });
  const refused = await stranger.request.post("/api/auth/login", {
    data: { Email: member.email, Password: "a guess that is wrong" },
  });
  expect(refused.status()).toBe(401);
  await stranger.close();
  const patched = await page.request.patch("/api/public/coworker/profile", {
    data: { CityName: "Lisbon" },
    headers: { Origin: baseURL ?? "" },
  });
  expect(patched.status(), await patched.text()).toBe(200);

  await page.goto("/profile/security");
  const log = page.locator(".security-log li");
  await expect(log.nth(0)).toContainText("Profile changed: CityName");
  await expect(log.nth(1)).toContainText("Sign-in failed: wrong password");
  await expect(log.nth(2)).toContainText("Account created");
  await expect(page.locator(".security-log")).not.toContainText("Lisbon");
  await expect(page.locator(".security-log")).not.toContainText("a guess that is wrong");
  // "Sign out every other device" with none other: nothing to press.
  await expect(page.getByRole("button", { name: "Sign out every other device" })).toHaveCount(0);
});
