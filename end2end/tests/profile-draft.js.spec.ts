// "Draft with AI" on the professional page (the built-in composer drafts in these tests): the
// draft is shown beside the current summary, saved only when accepted, and discarding it
// changes nothing.
import AxeBuilder from "@axe-core/playwright";
import { test, expect, signUpViaApi, waitForHydration, patchProfile } from "./fixtures";
import type { Page } from "@playwright/test";

const FACTS = {
  Position: "Landscape Architect",
  CompanyName: "Green Works",
  Industry: "architecture",
  ProfileTags: "parks, urban design",
  ProfileSummary: "I design parks.",
};

async function storedSummary(page: Page) {
  const response = await page.request.get("/en/profile");
  expect(response.status()).toBe(200);
  return (await response.json()).Value.ProfileSummary;
}

async function openDraft(page: Page) {
  await page.goto("/profile/professional");
  await waitForHydration(page);
  await page.getByRole("button", { name: "Draft with AI" }).click();
  return page.getByRole("region", { name: "Suggested summary" });
}

test("a draft is reviewed beside the summary, accepted, saved and still there after a reload", async ({
  page,
}) => {
  await signUpViaApi(page, "Jane Doe");
  await patchProfile(page, FACTS);
  const review = await openDraft(page);

  const current = review.getByRole("region", { name: "Your summary" });
  const draft = review.getByRole("region", { name: "Draft" });
  await expect(current).toContainText("I design parks.");
  await expect(current.locator("del").first()).toBeVisible();
  await expect(draft).toContainText("**Jane Doe** is a Landscape Architect at Green Works");
  await expect(draft.locator("ins").first()).toBeVisible();
  expect(await storedSummary(page), "nothing saved before accepting").toBe("I design parks.");
  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations, "the page with the review open").toEqual([]);

  await review.getByRole("button", { name: "Accept and save" }).click();
  await expect(page.getByRole("status")).toHaveText("Your changes were saved.");
  await expect(review).toBeHidden();
  const summary = page.getByLabel("Profile summary", { exact: true });
  await expect(summary).toHaveValue(/^\*\*Jane Doe\*\* is a Landscape Architect at Green Works/);
  const saved = await storedSummary(page);
  expect(saved).toContain("Jane talks about parks and urban design");

  await page.reload();
  await expect(summary).toHaveValue(saved);
  await expect(page.locator(".markdown-preview")).toContainText(
    "Jane Doe is a Landscape Architect at Green Works",
  );
});

test("discarding a draft leaves the summary as it was", async ({ page }) => {
  await signUpViaApi(page);
  await patchProfile(page, FACTS);
  const review = await openDraft(page);
  await expect(review.getByRole("region", { name: "Draft" })).toContainText("Landscape Architect");

  await review.getByRole("button", { name: "Discard" }).click();
  await expect(review).toBeHidden();
  await expect(page.getByRole("button", { name: "Draft with AI" })).toBeFocused();
  await expect(page.getByLabel("Profile summary", { exact: true })).toHaveValue("I design parks.");
  await expect(page.getByText("You have unsaved changes.")).toBeHidden();
  expect(await storedSummary(page)).toBe("I design parks.");
});

test("a profile with too little to write about says which fields to fill", async ({
  page,
  browserErrors,
}) => {
  // The browser logs the server function's 400 answer.
  browserErrors.allowFor(/\/api\/fn\/draft_profile_summary$/);
  await signUpViaApi(page);
  const review = await openDraft(page);
  const alert = review.getByRole("alert");
  await expect(alert).toContainText("Position is needed for a draft");
  await expect(alert).toContainText("at least one of Company, Industry and Tags");
  await review.getByRole("button", { name: "Close" }).click();
  await expect(review).toBeHidden();
});
