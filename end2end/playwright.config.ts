// Playwright runs against a server it starts itself on a throwaway database, so a stale server
// from an earlier run can never be the one under test (the port must be free, or the run fails).
// With PORTAL_E2E_BASE_URL it tests what runs there instead and starts nothing: `make
// test-cluster` points it at two instances behind HAProxy (and names the folder of the SMTP server
// it started for them in PORTAL_E2E_MAIL_DIR).
//
// Mail goes to a real SMTP server, mail-server/smtp_sink.py (aiosmtpd), which Playwright starts
// beside the portal; the tests read what it received from PORTAL_E2E_MAIL_DIR.
import { defineConfig } from "@playwright/test";
import * as os from "node:os";
import * as path from "node:path";

const port = Number(process.env.PORTAL_E2E_PORT ?? 3100);
const external = process.env.PORTAL_E2E_BASE_URL;
const baseURL = external ?? `http://127.0.0.1:${port}`;
const database =
  process.env.PORTAL_E2E_DATABASE ?? path.join(os.tmpdir(), `portal-e2e-${port}.db`);
const serverBinary = process.env.PORTAL_E2E_SERVER ?? "target/debug/server";
const smtpPort = Number(process.env.PORTAL_E2E_SMTP_PORT ?? 3125);
// Read by the tests too (fixtures.ts), so it is set here for the workers to inherit.
process.env.PORTAL_E2E_MAIL_DIR ??= path.join(os.tmpdir(), `portal-e2e-mail-${port}`);
const mailDir = process.env.PORTAL_E2E_MAIL_DIR;
const python =
  process.env.PORTAL_TEST_SMTP_PYTHON ?? path.join(__dirname, "../target/mail-venv/bin/python");

export default defineConfig({
  testDir: "./tests",
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  reporter: [["list"]],
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.PORTAL_CHROMIUM ?? "/usr/bin/chromium",
      // Without these, Chromium keeps trying to reach Google services this machine cannot see.
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [
    // *.js.spec.ts need JavaScript, *.nojs.spec.ts need it off; the others run in both.
    { name: "chromium", use: { javaScriptEnabled: true }, testIgnore: /\.nojs\.spec\.ts$/ },
    { name: "no-js", use: { javaScriptEnabled: false }, testIgnore: /\.js\.spec\.ts$/ },
  ],
  webServer: external ? undefined : [{
    command: `${python} mail-server/smtp_sink.py ${smtpPort} ${mailDir}`,
    cwd: "..",
    port: smtpPort,
    reuseExistingServer: false,
    timeout: 30_000,
    stdout: "ignore",
    stderr: "pipe",
  }, {
    command: serverBinary,
    cwd: "..",
    url: `${baseURL}/api/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      DATABASE_URL: database,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      RUST_LOG: "warn",
      // Drafts come from the built-in composer, whatever the developer's shell configures.
      OPENAI_BASE_URL: "",
      OPENAI_API_KEY: "",
      // Every test signs up members of its own, all from 127.0.0.1.
      SIGN_UP_CLIENT_LIMIT: "100000",
      MAIL_REQUEST_CLIENT_LIMIT: "100000",
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}?tls=none`,
      MAIL_FROM: "Member Portal <portal@portal.test>",
    },
  }],
});
