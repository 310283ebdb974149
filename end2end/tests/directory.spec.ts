// The member directory: public profiles only, bios rendered through the sanitiser.
import { test, expect, signUpViaApi, patchProfile } from "./fixtures";

test("only public profiles are listed, and a hostile bio comes out inert", async ({ browser, baseURL }) => {
  const contexts = await Promise.all([0, 1, 2].map(() => browser.newContext({ baseURL })));
  const [publicPage, privatePage, viewer] = await Promise.all(contexts.map((c) => c.newPage()));
  const stamp = Date.now();
  await signUpViaApi(publicPage, `Pat Public ${stamp}`);
  await patchProfile(publicPage, {
    ProfileIsPublic: true,
    Position: "Cartographer",
    ProfileTags: "maps, type",
    Github: "pat-public",
    ProfileSummary:
      "Hello **there**\n\n<script>window.__pwned = 1</script>\n\n<img src=x onerror=\"window.__pwned = 2\">\n\n" +
      "[click](javascript:window.__pwned=3) <a href=\"JAVASCRIPT:window.__pwned=4\">me</a>",
  });
  await signUpViaApi(privatePage, `Pia Private ${stamp}`);
  await patchProfile(privatePage, { ProfileIsPublic: false, Position: "Spy" });
  await signUpViaApi(viewer, "Vic Viewer");

  const dialogs: string[] = [];
  viewer.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await viewer.goto("/directory");
  const card = viewer.locator(".directory-card", { hasText: `Pat Public ${stamp}` });
  await expect(card).toBeVisible();
  await expect(card.locator(".role")).toHaveText("Cartographer");
  await expect(card.locator(".chip")).toHaveText(["maps", "type"]);
  await expect(card.getByRole("link", { name: "GitHub: pat-public" })).toHaveAttribute(
    "href",
    "https://github.com/pat-public",
  );
  await expect(card.locator(".bio strong")).toHaveText("there");
  await expect(card.locator(".bio script")).toHaveCount(0);
  await expect(card.locator(".bio [onerror]")).toHaveCount(0);
  await expect(card.locator(".bio img")).toHaveCount(0);
  for (const link of await card.locator(".bio a").all()) {
    expect((await link.getAttribute("href")) ?? "").not.toMatch(/^\s*javascript:/i);
  }
  await expect(viewer.getByText(`Pia Private ${stamp}`)).toHaveCount(0);
  await expect(viewer.getByText("Spy")).toHaveCount(0);
  for (const link of await card.locator(".bio a").all()) {
    await link.click({ noWaitAfter: true }).catch(() => {});
  }
  expect(dialogs).toEqual([]);
  expect(await viewer.evaluate(() => (window as { __pwned?: number }).__pwned).catch(() => undefined)).toBeUndefined();
  await Promise.all(contexts.map((c) => c.close()));
});

test("the directory is for signed-in members", async ({ page }) => {
  await page.goto("/directory");
  await expect(page).toHaveURL(/\/login\?next=\/directory$/);
});
