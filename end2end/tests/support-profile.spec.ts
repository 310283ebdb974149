// The support contact page (seed 000's support profile), with and without JavaScript: saving
// replaces the whole profile, and the API sees what the page saved.
import { test, expect, signUpViaApi, waitForHydration, expectFieldError } from "./fixtures";

test("the support contact is saved, shown again, and read by the API", async ({ page }) => {
  const javaScript = test.info().project.name === "chromium";
  await signUpViaApi(page);
  await page.goto("/profile/support");
  if (javaScript) await waitForHydration(page);

  await page.getByLabel("E-mail").fill("not-an-address");
  await page.getByLabel("Telephone").fill("call us");
  await page.getByLabel("Website").fill("help.acme.example");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expectFieldError(page, "SupportEmail", /E-mail must look like name@example.com/);
  await expectFieldError(page, "SupportTelephone", /Telephone must not contain letters/);
  await expect(page.getByLabel("Website")).toHaveValue("help.acme.example");

  await page.getByLabel("E-mail").fill("help@acme.example");
  await page.getByLabel("Telephone").fill("+1 425 555 5555");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status")).toHaveText("Your changes were saved.");

  await page.goto("/profile/support");
  await expect(page.getByLabel("E-mail")).toHaveValue("help@acme.example");
  await expect(page.getByLabel("Telephone")).toHaveValue("+1 425 555 5555");
  await expect(page.getByLabel("Website")).toHaveValue("help.acme.example");

  const api = await page.request.get("/v1/profiles/support");
  expect(api.status()).toBe(200);
  expect(await api.json()).toMatchObject({
    email: "help@acme.example",
    telephone: "+1 425 555 5555",
    website: "help.acme.example",
    profileType: "support_profile",
  });

  // Emptying a field and saving clears it: the page replaces the profile whole.
  if (javaScript) await waitForHydration(page);
  await page.getByLabel("Telephone").fill("");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status")).toHaveText("Your changes were saved.");
  expect((await (await page.request.get("/v1/profiles/support")).json()).telephone).toBeNull();
});
