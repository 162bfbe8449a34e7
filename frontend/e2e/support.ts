// Shared pieces of the end-to-end suite: one Chromium (Debian's, through playwright-core),
// sign-in, screenshots, and axe-core checks.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { expect } from "vitest";

export const env = {
  base: required("E2E_BASE_URL"),
  api: required("E2E_API_URL"),
  email: required("E2E_EMAIL"),
  password: required("E2E_PASSWORD"),
  apiKey: required("E2E_API_KEY"),
  duckdb: required("E2E_DUCKDB"),
  shots: process.env.E2E_SCREENSHOTS ?? path.resolve("test-results/screenshots"),
  chromium: process.env.E2E_CHROMIUM ?? "/usr/bin/chromium",
};

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the suite through frontend/test.sh`);
  return v;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: env.chromium, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}

export async function newContext(browser: Browser, opts: { dark?: boolean; width?: number; height?: number } = {}): Promise<BrowserContext> {
  const ctx = await browser.newContext({
    baseURL: env.base,
    viewport: { width: opts.width ?? 1366, height: opts.height ?? 860 },
    colorScheme: opts.dark ? "dark" : "light",
    locale: "en-GB",
  });
  await ctx.grantPermissions(["clipboard-read", "clipboard-write"], { origin: env.base });
  ctx.setDefaultTimeout(20_000);
  return ctx;
}

/**
 * What a failed step leaves behind, so a red CI run explains itself: a screenshot, the URL, the
 * visible text and the page's failed API calls, printed with the failure.
 */
export function recordFailures(page: Page): (name: string) => Promise<void> {
  const failedCalls: string[] = [];
  page.on("response", (r) => {
    if (r.url().includes("/api/") && r.status() >= 400) failedCalls.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.on("requestfailed", (r) => failedCalls.push(`failed ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  return async (name) => {
    const file = path.join(env.shots, `failed-${name.replace(/[^a-z0-9]+/gi, "-")}.png`);
    mkdirSync(env.shots, { recursive: true });
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    const text = await page.locator("body").innerText({ timeout: 2_000 }).catch((e: Error) => `(no text: ${e.message})`);
    console.error(
      [`--- failed: ${name}`, `url: ${page.url()}`, `screenshot: ${file}`, "failed API calls (last 10):", ...failedCalls.slice(-10), "visible text:", text.slice(0, 3_000)].join("\n"),
    );
  };
}

/** Fails the test on any uncaught error in the page. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  return errors;
}

export async function signIn(page: Page, email = env.email, password = env.password) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/ask/);
}

export async function shot(page: Page, name: string, fullPage = true) {
  mkdirSync(env.shots, { recursive: true });
  // Let charts and fonts settle.
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(env.shots, `${name}.png`), fullPage });
}

/**
 * No serious or critical axe-core violation on the page once it is still: a toast or a dialog
 * fading in is half transparent, and axe-core measured its contrast mid-fade.
 */
export async function expectAccessible(page: Page, label: string) {
  await page.waitForFunction(
    () => document.getAnimations().every((a) => a.playState !== "running" || a.effect?.getTiming().iterations === Infinity),
    undefined,
    { timeout: 10_000 },
  );
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const bad = result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 5).map((n) => n.target.join(" ")).join("\n    ")}`);
  expect(bad, `${label}: axe-core violations`).toEqual([]);
}

export async function api<T>(method: string, route: string, body?: unknown, key = env.apiKey): Promise<{ status: number; body: T }> {
  const res = await fetch(`${env.api}${route}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export async function waitForAnswer(page: Page) {
  const answer = page.getByTestId("answer");
  await answer.and(page.locator("[data-status=done], [data-status=error]")).waitFor({ timeout: 60_000 });
  return answer.getAttribute("data-status");
}
