// The analyst's journey through the production web app against a real backend: sign in, ask,
// edit and re-run SQL, save, history, dashboard, data sources, API keys, members, and what a
// viewer may not reach; screenshots of every main page; axe-core on each.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { api, env, expectAccessible, launch, newContext, recordFailures, shot, signIn, waitForAnswer, watchErrors } from "./support";

let browser: Browser;
let ctx: BrowserContext;
let page: Page;
let errors: string[];
let onFailure: (name: string) => Promise<void>;
const stamp = Date.now().toString(36);
const savedName = `Orders by status, not cancelled (${stamp})`;

beforeAll(async () => {
  browser = await launch();
  ctx = await newContext(browser);
  page = await ctx.newPage();
  errors = watchErrors(page);
  onFailure = recordFailures(page);
});

afterEach(async ({ task }) => {
  if (task.result?.state === "fail") await onFailure(task.name);
});

afterAll(async () => {
  await browser?.close();
});

describe("an analyst", () => {
  it("is sent to sign in, and signs in", async () => {
    await page.goto("/history");
    await page.waitForURL(/\/login\?next=%2Fhistory/);
    await shot(page, "01-login");
    await expectAccessible(page, "login");
    await page.getByLabel("Email").fill(env.email);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "Wrong email or password" }).waitFor();
    await signIn(page);
    await expect(page.getByTestId("org-name").textContent()).resolves.toBe("Demo");
  });

  it("sees example questions drawn from the schema, and focuses the box with /", async () => {
    const examples = page.getByTestId("examples").getByRole("button");
    await examples.first().waitFor();
    expect(await examples.count()).toBeGreaterThanOrEqual(3);
    await page.locator("body").click({ position: { x: 700, y: 600 } });
    await page.keyboard.press("/");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("ask-input");
    await shot(page, "02-ask-empty");
  });

  it("asks a demo question and gets the stages, a table and a chart", async () => {
    await page.getByLabel("Your question").fill("How many orders are there by status?");
    await page.keyboard.press("Enter");
    await page.getByRole("status", { name: "Progress" }).waitFor();
    expect(await waitForAnswer(page)).toBe("done");
    const table = page.getByTestId("result-table");
    expect(await table.locator("tbody tr").count()).toBe(5);
    await page.getByTestId("chart").locator(".recharts-surface").first().waitFor();
    expect(await page.getByTestId("chart").getAttribute("data-kind")).toBe("bar");
    expect(await page.getByTestId("interpretation").textContent()).toContain("counting orders");
    expect(await page.locator("[data-stage=chart]").getAttribute("data-state")).toBe("done");
    await shot(page, "03-ask-answer");
    await expectAccessible(page, "ask with an answer");
  });

  it("switches the chart among the kinds that fit, and sorts the table", async () => {
    await page.getByRole("radio", { name: "Pie" }).click();
    await page.locator("[data-testid=chart][data-kind=pie] .recharts-surface").first().waitFor();
    await page.getByRole("radio", { name: "Bar" }).click();
    const table = page.getByTestId("result-table");
    await table.getByRole("button", { name: /count/ }).click();
    expect(await table.locator("tbody tr").first().textContent()).toContain("completed");
  });

  it("edits the SQL and re-runs it", async () => {
    const editor = page.locator(".cm-content");
    await editor.click();
    await page.keyboard.press("ControlOrMeta+a");
    await page.keyboard.press("Delete");
    await page.keyboard.insertText(
      "SELECT status, count(*) AS orders FROM retail.orders WHERE status <> 'cancelled' GROUP BY status ORDER BY orders DESC",
    );
    await page.getByRole("button", { name: "Run edited SQL" }).click();
    expect(await waitForAnswer(page)).toBe("done");
    const table = page.getByTestId("result-table");
    await table.getByRole("button", { name: /orders/ }).waitFor();
    expect(await table.locator("tbody tr").count()).toBe(4);
    expect(await table.textContent()).not.toContain("cancelled");
  });

  it("rates the answer and saves it", async () => {
    await page.getByRole("button", { name: "Good answer" }).click();
    await page.getByText(/upvoted answers teach the engines/).waitFor();
    await page.getByRole("button", { name: "Save", exact: true }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Name").fill(savedName);
    await dialog.getByRole("button", { name: "Save question" }).click();
    await page.getByText(`Saved “${savedName}”`).waitFor();
  });

  it("sees a refusal's suggestions and asks one", async () => {
    await page.getByLabel("Your question").fill("what is the weather like");
    await page.keyboard.press("Enter");
    expect(await waitForAnswer(page)).toBe("error");
    const suggestions = page.getByTestId("suggestions").getByRole("button");
    await suggestions.first().waitFor();
    expect(await page.getByTestId("answer").getByRole("alert").textContent()).toMatch(/Request id/);
    await shot(page, "04-ask-refusal");
    await suggestions.first().click();
    expect(await waitForAnswer(page)).toBe("done");
  });

  it("finds the question in the history and re-runs it", async () => {
    await page.getByRole("link", { name: "History" }).click();
    await page.getByTestId("history-table").waitFor();
    await page.getByLabel("Search questions and SQL").fill("cancelled");
    const row = page.getByTestId("history-row").filter({ hasText: "<> 'cancelled'" }).first();
    await row.waitFor();
    await page.getByLabel("Search questions and SQL").fill("");
    await page.getByTestId("history-row").filter({ hasText: "How many orders are there by status?" }).first().waitFor();
    await shot(page, "05-history");
    await expectAccessible(page, "history");
    await page
      .getByTestId("history-row")
      .filter({ hasText: "How many orders are there by status?" })
      .first()
      .getByRole("link", { name: /Re-run/ })
      .click();
    await page.waitForURL(/rerun=/);
    expect(await waitForAnswer(page)).toBe("done");
    expect(await page.getByTestId("cache-badge").textContent()).toContain("Cached");
  });

  it("pins the saved question to the dashboard", async () => {
    await page.getByRole("link", { name: "Saved" }).click();
    const item = page.getByTestId("saved-item").filter({ hasText: savedName });
    await item.waitFor();
    await item.getByRole("button", { name: "Pin to dashboard" }).click();
    await shot(page, "06-saved");
    await expectAccessible(page, "saved questions");
    await page.getByRole("link", { name: "Dashboard" }).click();
    const tile = page.getByTestId("tile").filter({ hasText: savedName });
    await tile.locator(".recharts-surface").first().waitFor({ timeout: 30_000 });
    await shot(page, "07-dashboard");
    await expectAccessible(page, "dashboard");
  });

  it("browses data sources, the schema and the semantic layer", async () => {
    await page.getByRole("link", { name: "Data sources" }).click();
    await page.getByRole("link", { name: "Retail demo (DuckDB)" }).first().waitFor();
    await shot(page, "08-datasources");
    await expectAccessible(page, "data sources");
    await page.getByRole("link", { name: "Retail demo (DuckDB)" }).first().click();
    await page.getByRole("button", { name: "orders" }).click();
    await page.getByRole("region", { name: "Table orders" }).getByText("order_date").waitFor();
    await shot(page, "09-datasource-schema");
    await expectAccessible(page, "data source schema");
    await page.getByRole("tab", { name: "Semantic layer" }).click();
    await page.getByText("Retail sales of a chain of stores").waitFor();
    await shot(page, "10-datasource-semantic");
  });

  it("adds a data source with a connection test, and sees a failing one explained", async () => {
    await page.goto("/datasources/new");
    await page.getByRole("combobox", { name: "Engine" }).click();
    await page.getByRole("option", { name: "DuckDB" }).click();
    await page.getByLabel("Name").fill(`Demo copy ${stamp}`);
    await page.getByLabel("File path").fill(env.duckdb);
    await shot(page, "11-datasource-new");
    await expectAccessible(page, "new data source");
    await page.getByRole("button", { name: "Save and test connection" }).click();
    await page.waitForURL(/\/datasources\/[0-9a-f-]{36}/);
    await page.getByText(`Demo copy ${stamp}`).first().waitFor();

    await page.goto("/datasources/new");
    await page.getByLabel("Name").fill(`Unreachable ${stamp}`);
    await page.getByLabel("Host").fill("127.0.0.1");
    await page.getByLabel("Port").fill("9");
    await page.getByLabel("Database").fill("nothing");
    await page.getByLabel("User").fill("nobody");
    await page.getByRole("button", { name: "Save and test connection" }).click();
    await page.getByText(/was saved, but the connection test failed/).waitFor({ timeout: 40_000 });
  });

  it("creates an API key, sees it once, and revokes it", async () => {
    await page.getByRole("link", { name: "API keys" }).click();
    await page.getByRole("button", { name: "Create API key" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Name").fill(`e2e ${stamp}`);
    await dialog.getByRole("button", { name: "Create key" }).click();
    const keyBox = dialog.getByTestId("created-key");
    await keyBox.waitFor();
    const key = await keyBox.inputValue();
    expect(key).toMatch(/^kb_/);
    await dialog.getByRole("button", { name: "Copy" }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    await shot(page, "12-api-key-created", false);
    expect((await api("GET", "/v1/auth/me", undefined, key)).status).toBe(200);
    await dialog.getByRole("button", { name: "Done" }).click();

    const row = page.getByTestId("api-key-row").filter({ hasText: `e2e ${stamp}` });
    await row.getByText("Active").waitFor();
    await row.getByRole("button", { name: "Revoke" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke key" }).click();
    await row.getByText("Revoked").waitFor();
    expect((await api("GET", "/v1/auth/me", undefined, key)).status).toBe(401);
    await shot(page, "13-api-keys");
    await expectAccessible(page, "API keys");
  });

  it("reads members, the audit log and the engines", async () => {
    await page.getByRole("link", { name: "Members" }).click();
    await page.getByText(env.email).first().waitFor();
    await shot(page, "14-members");
    await expectAccessible(page, "members");
    await page.getByRole("link", { name: "Audit log" }).click();
    await page.getByTestId("audit-table").getByText("api_key.revoke").first().waitFor();
    await page.getByLabel("Action").fill("api_key.");
    await page.waitForFunction(() => {
      const cells = [...document.querySelectorAll("[data-testid=audit-action]")].map((c) => c.textContent ?? "");
      return cells.length > 0 && cells.every((t) => t.startsWith("api_key."));
    });
    await shot(page, "15-audit");
    await expectAccessible(page, "audit log");
    await page.getByRole("link", { name: "Engines" }).click();
    await page.getByText("Refused reloads").waitFor();
    // start.sh makes the demo administrator the server's operator: the file and its reload.
    await page.getByRole("button", { name: "Reload engines file" }).click();
    await page.getByText(/Reload: (applied|unchanged)/).waitFor();
    expect(await page.getByText(/engines\.yaml$/).count()).toBe(1);
    await shot(page, "16-engines");
    await expectAccessible(page, "engines");
  });

  it("looks right in the dark theme", async () => {
    const dark = await newContext(browser, { dark: true, width: 1280, height: 800 });
    const p = await dark.newPage();
    await signIn(p);
    await p.getByTestId("examples").getByRole("button").first().waitFor();
    await p.getByLabel("Your question").fill("revenue by category and month");
    await p.keyboard.press("Enter");
    expect(await waitForAnswer(p)).toBe("done");
    await p.locator("[data-testid=chart] .recharts-surface").first().waitFor();
    await shot(p, "17-ask-dark-laptop");
    await expectAccessible(p, "ask, dark theme");
    await dark.close();
  });

  it("switches organisation, and the navigation follows the role there", async () => {
    // A second organisation whose owner adds the demo admin as an analyst.
    const org = `Acme ${stamp}`;
    const signup = await fetch(`${env.api}/v1/auth/signup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: `owner-${stamp}@acme.test`, password: `acme-password-${stamp}`, organisation_name: org }),
    });
    expect(signup.status).toBe(201);
    const { access_token } = (await signup.json()) as { access_token: string };
    const added = await api("POST", "/v1/members", { email: env.email, role: "analyst" }, access_token);
    expect(added.status).toBe(201);

    await page.goto("/ask");
    await page.getByRole("button", { name: /Switch organisation/ }).click();
    await page.getByRole("menuitemradio", { name: new RegExp(org) }).click();
    await page.getByTestId("org-name").filter({ hasText: org }).waitFor();
    await page.getByRole("link", { name: "API keys" }).waitFor();
    expect(await page.getByRole("link", { name: "Members" }).count()).toBe(0);
    // A new organisation has no data sources yet.
    await page.getByText("No data sources yet").waitFor();
    await shot(page, "19-switched-organisation");

    await page.getByRole("button", { name: /Switch organisation/ }).click();
    await page.getByRole("menuitemradio", { name: /Demo/ }).click();
    await page.getByTestId("org-name").filter({ hasText: "Demo" }).waitFor();
    await page.getByRole("link", { name: "Members" }).waitFor();
  });

  it("had no uncaught errors in the page", () => {
    expect(errors).toEqual([]);
  });
});

describe("a viewer", () => {
  it("can read but cannot reach the administration pages", async () => {
    const email = `viewer-${stamp}@demo.kurobe.dev`;
    const password = `viewer-password-${stamp}`;
    // The admin adds the viewer through the members page.
    await page.goto("/admin/members");
    await page.getByRole("button", { name: "Add member" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Email").fill(email);
    await dialog.getByRole("combobox", { name: "Role" }).click();
    await page.getByRole("option", { name: "viewer" }).click();
    await dialog.getByLabel("Initial password (new accounts)").fill(password);
    await dialog.getByRole("button", { name: "Add member" }).click();
    await page.getByText(`${email} added as viewer`).waitFor();

    const viewerCtx = await newContext(browser);
    const p = await viewerCtx.newPage();
    await signIn(p, email, password);
    expect(await p.getByRole("navigation", { name: "Main" }).getByText("Administration").count()).toBe(0);
    expect(await p.getByRole("link", { name: "API keys" }).count()).toBe(0);
    expect(await p.getByLabel("Your question").isDisabled()).toBe(true);
    for (const route of ["/datasources/new", "/admin/members", "/admin/audit", "/admin/engines", "/admin/api-keys"]) {
      await p.goto(route);
      await p.getByTestId("forbidden").waitFor();
    }
    await shot(p, "18-viewer-forbidden");
    // The API agrees with the pages.
    const res = await p.request.get("/api/v1/audit");
    expect(res.status()).toBe(403);
    await p.goto("/history");
    await p.getByTestId("history-table").waitFor();
    await viewerCtx.close();
  });
});
