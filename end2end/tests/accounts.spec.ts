// Signing up, out and in through the pages, and the way back to the page that asked for it.
// Runs with JavaScript (hydrated forms) and without it (plain form posts).
import { test, expect, newMember, waitForHydration } from "./fixtures";

// With JavaScript, each test waits for the form to hydrate before typing, so that the island
// handles the form; typing before hydration is typed-before-hydration.js.spec.ts's subject.
test("a new member signs up, signs out, and signs in again", async ({
  page,
  javaScriptEnabled: javaScript,
}) => {
  const member = newMember("Ada Lovelace");
  await page.goto("/signup");
  if (javaScript) await waitForHydration(page);
  await page.getByLabel("Full name").fill(member.fullName);
  await page.getByLabel("E-mail address").fill(member.email);
  await page.getByLabel("Password", { exact: true }).fill(member.password);
  await page.getByRole("button", { name: "Create account" }).click();

  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Personal information");
  await expect(page.locator(".member-name")).toHaveText("Ada Lovelace");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.locator(".member-name")).toHaveCount(0);
  if (javaScript) await waitForHydration(page);

  await page.getByLabel("E-mail address").fill(member.email.toUpperCase());
  await page.getByLabel("Password", { exact: true }).fill(member.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.locator(".member-name")).toHaveText("Ada Lovelace");
});

test("a signed-out visitor is sent to sign in and then back to the page", async ({
  page,
  javaScriptEnabled: javaScript,
}) => {
  const member = newMember("Grace Hopper");
  const response = await page.request.post("/api/auth/signup", {
    data: { Email: member.email, Password: member.password, FullName: member.fullName },
  });
  expect(response.status()).toBe(201);
  await page.context().clearCookies();

  await page.goto("/profile/billing");
  await expect(page).toHaveURL(/\/login\?next=\/profile\/billing$/);
  if (javaScript) await waitForHydration(page);
  await page.getByLabel("E-mail address").fill(member.email);
  await page.getByLabel("Password", { exact: true }).fill(member.password);
  await page.getByRole("button", { name: "Sign in" }).click();

  await expect(page).toHaveURL(/^[^?]*\/profile\/billing$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Billing information");
});

test("a wrong password shows an error and keeps the e-mail address", async ({
  page,
  browserErrors,
  javaScriptEnabled: javaScript,
}) => {
  // The browser logs the 401 of the sign-in call; that answer is the point of this test.
  browserErrors.allowFor(/\/api\/fn\/sign_in$/);
  const member = newMember();
  await page.request.post("/api/auth/signup", {
    data: { Email: member.email, Password: member.password, FullName: member.fullName },
  });
  await page.context().clearCookies();

  await page.goto("/login");
  if (javaScript) await waitForHydration(page);
  await page.getByLabel("E-mail address").fill(member.email);
  await page.getByLabel("Password", { exact: true }).fill("not my password");
  await page.getByRole("button", { name: "Sign in" }).click();

  await expect(page.getByRole("alert")).toContainText("not correct");
  await expect(page.getByLabel("E-mail address")).toHaveValue(member.email);
  await expect(page).toHaveURL(/\/login/);
});

test("sign-up reports each failed rule next to its field", async ({
  page,
  javaScriptEnabled: javaScript,
}) => {
  await page.goto("/signup");
  if (javaScript) await waitForHydration(page);
  await page.getByLabel("Full name").fill("Jane Doe");
  await page.getByLabel("E-mail address").fill("not-an-email");
  await page.getByLabel("Password", { exact: true }).fill("password");
  await page.getByRole("button", { name: "Create account" }).click();

  const email = page.getByLabel("E-mail address");
  await expect(email).toHaveAttribute("aria-invalid", "true");
  await expect(page.locator("#email-error")).toContainText("E-mail address");
  await expect(email).toHaveValue("not-an-email");
  await expect(page.getByLabel("Full name")).toHaveValue("Jane Doe");
  await expect(page.getByLabel("Full name")).not.toHaveAttribute("aria-invalid", "true");
});

test("a sign-in form on another site cannot sign the visitor in", async ({
  page,
  request,
  baseURL,
  browserErrors,
}) => {
  // The attacker's own account, and a page elsewhere whose form signs in to it.
  const attacker = newMember("Mallory");
  const created = await request.post("/api/auth/signup", {
    data: { Email: attacker.email, Password: attacker.password, FullName: attacker.fullName },
  });
  expect(created.status()).toBe(201);
  await page.setContent(`
    <form method="post" action="${baseURL}/api/fn/sign_in">
      <input name="email" value="${attacker.email}">
      <input name="password" value="${attacker.password}">
      <input name="next" value="/profile">
      <button>Win a prize</button>
    </form>`);
  browserErrors.allowFor(/\/api\/fn\/sign_in/);
  await page.getByRole("button", { name: "Win a prize" }).click();

  await expect(page.getByRole("heading", { level: 1 })).toHaveText(
    "This form was not sent from this site",
  );
  // The refusal carries the site's style (its stylesheet loaded: the card has its border).
  await expect(page.locator(".auth-card")).toHaveCSS("border-top-style", "solid");
  const cookies = await page.context().cookies();
  expect(cookies.map((cookie) => cookie.name)).toEqual([]);
  await page.goto("/profile");
  await expect(page).toHaveURL(/\/login\?next=/);
});
