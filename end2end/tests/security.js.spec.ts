// The pages run under their Content-Security-Policy (scripts only by nonce, no inline code, no
// framing): hydration, forms and the live preview still work, and the browser reports no
// violation (the fixture also fails on the console error a violation logs).
import { test, expect, signUpViaApi, waitForHydration } from "./fixtures";

test("hydrated pages work under the CSP with no violation reported", async ({ page }) => {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener("securitypolicyviolation", (event) =>
      seen.push(`${event.violatedDirective} ${event.blockedURI}`),
    );
  });
  const violations = () =>
    page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);

  const home = await page.goto("/");
  const policy = home?.headers()["content-security-policy"] ?? "";
  expect(policy).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]{16,}'/);
  expect(policy).toContain("frame-ancestors 'none'");
  expect(policy).not.toContain("unsafe-inline");
  await waitForHydration(page);

  await signUpViaApi(page);
  await page.goto("/profile/professional");
  await waitForHydration(page);
  const summary = page.getByLabel("Profile summary", { exact: true });
  await summary.fill("**Bold** and [a link](https://example.com)");
  await expect(page.locator(".markdown-preview strong")).toHaveText("Bold");
  await page.getByLabel("Position").fill("Designer");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status")).toHaveText("Your changes were saved.");

  for (const path of ["/profile", "/profile/password", "/login", "/signup"]) {
    await page.goto(path);
    await waitForHydration(page);
  }
  expect(await violations()).toEqual([]);
});
