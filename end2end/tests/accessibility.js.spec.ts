// axe-core on every page, at phone and desktop widths, also with field errors showing.
import AxeBuilder from "@axe-core/playwright";
import { test, expect, waitForHydration, signUpViaApi, patchProfile, mailTo, linkIn, totpCode } from "./fixtures";

const pages = [
  "/profile",
  "/profile/professional",
  "/profile/billing",
  "/profile/notifications",
  "/profile/password",
  "/profile/support",
  "/profile/security",
  "/profile/security/delete",
  "/directory",
];

for (const width of [360, 1280]) {
  test(`every page has no axe violations at ${width}px`, async ({ page, browser, baseURL }) => {
    // Eleven pages, each loaded, hydrated and scanned: more than the default 30 s on a busy
    // 2-core machine.
    test.slow();
    await page.setViewportSize({ width, height: 900 });
    for (const path of ["/", "/login", "/login/code", "/signup", "/password/forgot", "/password/reset?token=unknown"]) {
      await page.goto(path);
      await waitForHydration(page);
      const results = await new AxeBuilder({ page }).analyze();
      expect(results.violations, `${path}`).toEqual([]);
    }
    const member = await signUpViaApi(page);
    // The pages links in messages open: verification (sent at sign-up) and reset.
    const forgot = await page.request.post("/api/auth/password/forgot", {
      data: { Email: member.email },
      headers: { Origin: baseURL ?? "" },
    });
    expect(forgot.status(), await forgot.text()).toBe(202);
    for (const [subject, linkPage] of [
      ["Confirm your e-mail address", "/email/verify"],
      ["Reset your password", "/password/reset"],
    ]) {
      await page.goto(linkIn(await mailTo(member.email, subject), linkPage));
      await waitForHydration(page);
      const results = await new AxeBuilder({ page }).analyze();
      expect(results.violations, linkPage).toEqual([]);
    }
    await patchProfile(page, { ProfileIsPublic: true, ProfileSummary: "**Hello** [site](https://example.com)", ProfileTags: "a, b" });
    for (const path of pages) {
      await page.goto(path);
      await waitForHydration(page);
      const results = await new AxeBuilder({ page }).analyze();
      expect(results.violations, `${path}`).toEqual([]);
    }
    // Two-factor sign-in: the set-up page, then the pages and forms it adds once it is on.
    const headers = { Origin: baseURL ?? "" };
    const begun = await page.request.post("/api/account/two-factor/totp", { headers });
    expect(begun.status(), await begun.text()).toBe(200);
    const secret = (await begun.json()).Value.Secret as string;
    await page.goto("/profile/security/authenticator");
    await waitForHydration(page);
    const setup = await new AxeBuilder({ page }).analyze();
    expect(setup.violations, "/profile/security/authenticator").toEqual([]);
    const confirmed = await page.request.post("/api/account/two-factor/totp/confirm", {
      headers,
      data: { Code: totpCode(secret) },
    });
    expect(confirmed.status(), await confirmed.text()).toBe(200);
    for (const path of ["/profile/security", "/profile/security/recovery-codes", "/profile/security/delete"]) {
      await page.goto(path);
      await waitForHydration(page);
      const results = await new AxeBuilder({ page }).analyze();
      expect(results.violations, `${path} with two-factor sign-in on`).toEqual([]);
    }
    await page.goto("/profile");
    await waitForHydration(page);
    await page.getByLabel("Full name").fill("");
    await page.getByLabel("Mobile phone").fill("abc");
    await page.getByRole("button", { name: "Save changes" }).click();
    await expect(page.locator("#FullName-error")).toBeVisible();
    const withErrors = await new AxeBuilder({ page }).analyze();
    expect(withErrors.violations, "/profile with errors").toEqual([]);
    void browser;
    void baseURL;
  });
}
