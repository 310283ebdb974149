// The security page as a member uses it, with and without JavaScript: two browsers signed in,
// one ends the other's session, and the other is signed out on its next page.
import * as fs from "node:fs";
import { test, expect, signUpViaApi, patchProfile, mailTo, waitForHydration } from "./fixtures";

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
  if (test.info().project.use.javaScriptEnabled) await waitForHydration(phone);
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
  await iphone.getByRole("button", { name: "Sign out this device: Safari 17 on iPhone" }).click();
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
  // The refusal is logged just after its answer, by a task of its own.
  await expect
    .poll(async () => JSON.stringify(await (await page.request.get("/api/account/security-log")).json()))
    .toContain("sign_in_failed");
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

test("the data export, after the password is confirmed, holds a value that was saved", async ({ page }) => {
  await signUpViaApi(page);
  const city = `Porto ${Date.now()}`;
  await patchProfile(page, { CityName: city });
  await page.goto("/profile/security");
  await expect(page.getByRole("link", { name: "Download my data (JSON)" })).toHaveCount(0);
  await page.getByLabel("Your password").fill("a quiet harbour at dusk");
  await page.getByRole("button", { name: "Confirm and prepare the download" }).click();
  await expect(page.getByRole("status")).toContainText("Password confirmed");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Download my data (JSON)" }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^member-data-\d{4}-\d{2}-\d{2}\.json$/);
  const data = JSON.parse(fs.readFileSync(await download.path(), "utf8"));
  expect(data.Format).toBe("member-portal-data-export/1");
  expect(data.Profiles[0].Fields.CityName).toBe(city);
  expect(JSON.stringify(data)).not.toContain("argon2");
});

test("a deleted account cannot sign in, and its address can sign up again", async ({ page, javaScriptEnabled, browserErrors }) => {
  // The refused sign-in answers 401, which the browser logs.
  browserErrors.allowFor(/\/api\/fn\/sign_in/);
  const member = await signUpViaApi(page);
  await page.goto("/profile/security");
  await page.getByRole("link", { name: "Delete my account…" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Delete your account");
  // A typo in the address: refused, nothing deleted.
  await page.getByLabel("Type your sign-in e-mail address").fill(`x${member.email}`);
  await page.getByLabel("Your password").fill(member.password);
  await page.getByRole("button", { name: "Delete my account permanently" }).click();
  await expect(page.getByRole("alert")).toContainText("must be the address you sign in with");
  await page.getByLabel("Type your sign-in e-mail address").fill(member.email);
  await page.getByLabel("Your password").fill(member.password);
  await page.getByRole("button", { name: "Delete my account permanently" }).click();
  await expect(page).toHaveURL(/\/login\?notice=account-deleted/);
  await expect(page.getByRole("status")).toContainText("Your account is deleted");
  await mailTo(member.email, "Your account was deleted");

  if (javaScriptEnabled) await waitForHydration(page);
  await page.getByLabel("E-mail address").fill(member.email);
  await page.getByLabel("Password", { exact: true }).fill(member.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("not correct");

  await page.goto("/signup");
  if (javaScriptEnabled) await waitForHydration(page);
  await page.getByLabel("Full name").fill("Jane Again");
  await page.getByLabel("E-mail address").fill(member.email);
  await page.getByLabel("Password", { exact: true }).fill(member.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.locator(".member-name")).toHaveText("Jane Again");
});

test("two sessions of the same browser get sign-out buttons with different names", async ({ page, request }) => {
  const member = await signUpViaApi(page);
  // Two more sessions of this same browser from this address, in the same minute.
  const userAgent = await page.evaluate(() => navigator.userAgent);
  for (let i = 0; i < 2; i++) {
    const signIn = await request.post("/api/auth/login", {
      data: { Email: member.email, Password: member.password },
      // The first sign-in leaves its cookie, which a request without Origin may not carry.
      headers: { "User-Agent": userAgent, Origin: test.info().project.use.baseURL ?? "" },
    });
    expect(signIn.status()).toBe(200);
  }
  await page.goto("/profile/security");
  const buttons = page.getByRole("button", { name: /^Sign out this device/ });
  await expect(buttons).toHaveCount(2);
  const names = await buttons.evaluateAll((all) => all.map((button) => button.getAttribute("aria-label")));
  expect(new Set(names).size).toBe(2);
  for (const name of names) expect(name).toMatch(/^Sign out this device: .+, signed in \d{4}-\d\d-\d\d/);
});
