/**
 * Schedules in the console, in Chromium against a real server in production mode: a workflow
 * created in the editor with an every-second cron schedule (a bad cron, then a bad runAt time,
 * refused by the server and shown beside their run settings field), its schedules panel showing
 * the next fire time, the firings as they come and the next runs; paused (no next fire time, no
 * new firing), resumed (firing again), and "Run now" opening the execution it started.
 *
 * Needs Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH), like console.test.ts.
 */
import { describe, expect, it } from "vitest";
import { CHROMIUM_AVAILABLE, CHROMIUM_PATH } from "../support/browser.js";
import { SERVICES_REQUIRED } from "../support/env.js";
import { POLL, seriousViolations, UI_TIMEOUT, useConsole } from "./console-support.js";

const TEST_TIMEOUT = 120_000;

interface Firing {
  scheduledAt: string;
  status: string;
  manual: boolean;
  executionId: string | null;
}

describe("schedules in the console", () => {
  if (!CHROMIUM_AVAILABLE) {
    if (SERVICES_REQUIRED) {
      it("has Chromium to run in", () => {
        expect.fail(`no Chromium at ${CHROMIUM_PATH}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
      });
    } else {
      console.log(`Skipping the console's schedules test: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium).`);
      it.skip("creates, watches, pauses, resumes and runs a schedule (needs Chromium)", () => {});
    }
    return;
  }

  const ui = useConsole();

  const firings = async (workflowId: string, scheduleId: string): Promise<Firing[]> => {
    const data = await ui.graphql<{ workflow: { schedules: { id: string; firings: Firing[] }[] } }>(
      "query($id: ID!) { workflow(id: $id) { schedules { id firings(first: 50) { scheduledAt status manual executionId } } } }",
      { id: workflowId },
    );
    return data.workflow.schedules.find((s) => s.id === scheduleId)?.firings ?? [];
  };
  const workflowIdInUrl = (url: string) => /#\/workflows\/([^/?]+)\/edit$/.exec(url)?.[1];
  const executionIdInUrl = (url: string) => /#\/executions\/([^/?]+)$/.exec(url)?.[1];

  it(
    "creates an every-second schedule in the editor, shows it firing, pauses, resumes and runs it now",
    async () => {
      const { page } = ui;
      await page.goto(`${ui.origin}/#/workflows/new`);
      await page.getByLabel("Name", { exact: true }).fill("E2E schedules");
      await page.getByText(/^Run settings/).click();
      const schedulesField = page.getByRole("textbox", { name: /^Schedules/ });
      const runAtField = page.getByRole("textbox", { name: /^Run at/ });

      // A cron the server refuses: its problem beside the field, nothing created.
      await schedulesField.fill(
        JSON.stringify([
          { id: "every-second", cron: "* * * * * *" },
          { id: "nightly", cron: "0 25 * * *", timezone: "Europe/Berlin" },
        ]),
      );
      await page.getByRole("button", { name: "Create" }).click();
      const schedulesProblem = page.locator('[data-field="schedules"] .field-problem');
      await expect.poll(() => schedulesProblem.textContent(), POLL).toContain("schedules[1].cron");
      expect(await schedulesProblem.textContent()).toContain("25");
      expect(await schedulesField.getAttribute("aria-invalid")).toBe("true");
      expect(workflowIdInUrl(page.url())).toBeUndefined();
      await ui.screenshot("schedules-bad-cron", { fullPage: false });

      // Fixed, the problem goes; a runAt time GraphQL cannot read is named beside its own field.
      await schedulesField.fill(
        JSON.stringify([
          { id: "every-second", cron: "* * * * * *" },
          { id: "nightly", cron: "0 3 * * *", timezone: "Europe/Berlin" },
        ]),
      );
      await expect.poll(() => schedulesProblem.count(), POLL).toBe(0);
      await runAtField.fill('[{"id": "launch", "at": "soon"}]');
      await page.getByRole("button", { name: "Create" }).click();
      await expect
        .poll(() => page.locator('[data-field="runAt"] .field-problem').textContent(), POLL)
        .toContain("runAt[0].at");
      expect(workflowIdInUrl(page.url())).toBeUndefined();

      await runAtField.fill('[{"id": "launch", "at": "2099-01-01T09:00:00Z"}]');
      await page.getByRole("button", { name: "Create" }).click();
      await expect.poll(() => workflowIdInUrl(page.url()), POLL).toBeTruthy();
      const workflowId = workflowIdInUrl(page.url()) ?? "";

      // The panel: the next fire time, then firings as they come, the next runs.
      const panel = page.getByTestId("schedules-panel");
      const card = page.getByTestId("schedule-every-second");
      const nextFire = card.getByTestId("next-fire");
      await expect.poll(() => nextFire.locator("time").count(), POLL).toBe(1);
      const next = Date.parse((await nextFire.locator("time").getAttribute("datetime")) ?? "");
      expect(Math.abs(next - Date.now())).toBeLessThan(5_000);
      expect(await card.getByTestId("schedule-cron").textContent()).toBe("* * * * * *");
      expect(await card.getByTestId("schedule-state").textContent()).toBe("active");
      const rows = card.getByTestId("firing");
      await expect.poll(() => rows.count(), POLL).toBeGreaterThanOrEqual(2);
      expect(await rows.first().textContent()).toContain("STARTED");
      expect(await rows.first().getByRole("link").count()).toBe(1);
      await expect.poll(() => card.getByTestId("last-fire").locator("time").count(), POLL).toBe(1);
      // The nightly one also on its own clock (unless the browser's zone is Berlin's).
      const browserZone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
      const nightlyNext = page.getByTestId("schedule-nightly").getByTestId("next-fire");
      await nightlyNext.locator("time").waitFor();
      expect(await nightlyNext.locator(".subtle").count()).toBe(browserZone === "Europe/Berlin" ? 0 : 1);
      await expect.poll(() => panel.getByTestId("upcoming-run").count(), POLL).toBe(5);
      expect(await panel.getByTestId("upcoming-run").first().textContent()).toMatch(/every-second.*on its clock/);
      expect(await panel.getByTestId("run-at-launch").textContent()).toContain("not yet");
      await ui.screenshot("schedules");
      expect(await seriousViolations(page)).toEqual([]);

      // A phone-sized window: the panel wraps, nothing scrolls sideways.
      await page.setViewportSize({ width: 390, height: 844 });
      try {
        await expect
          .poll(() => page.evaluate(() => document.documentElement.scrollWidth), POLL)
          .toBeLessThanOrEqual(391);
      } finally {
        await page.setViewportSize({ width: 1280, height: 720 });
      }

      // Paused: no next fire time, and no instant after the pause fires (read again well after it).
      await card.getByRole("button", { name: "Pause every-second" }).click();
      await expect.poll(() => card.getByTestId("schedule-state").textContent(), POLL).toBe("paused");
      await expect.poll(() => nextFire.textContent(), POLL).toBe("none (paused)");
      const pausedAt = Date.now();
      await expect
        .poll(async () => Number(await panel.getAttribute("data-fetched-at")), { timeout: UI_TIMEOUT, interval: 200 })
        .toBeGreaterThan(pausedAt + 2_500);
      expect(await nextFire.textContent()).toBe("none (paused)");
      const shownAfterPause = await rows.evaluateAll((elements) =>
        elements.map((e) => Date.parse(e.getAttribute("data-scheduled-at") ?? "")),
      );
      // The instant being fired as the pause landed may still be recorded; none after it.
      expect(shownAfterPause.filter((at) => at > pausedAt + 1_000)).toEqual([]);
      expect(
        (await firings(workflowId, "every-second")).filter((f) => Date.parse(f.scheduledAt) > pausedAt + 1_000),
      ).toEqual([]);

      // Saved again from the editor, whose text leaves `paused` out: it stays paused.
      await page.getByRole("button", { name: "Save", exact: true }).click();
      await expect.poll(() => page.locator(".version").textContent(), POLL).toBe("version 2");
      const savedAt = Date.now();
      await expect.poll(async () => Number(await panel.getAttribute("data-fetched-at")), POLL).toBeGreaterThan(savedAt);
      expect(await card.getByTestId("schedule-state").textContent()).toBe("paused");
      expect(await nextFire.textContent()).toBe("none (paused)");

      // Resumed: a next fire time again, and new firings.
      await card.getByRole("button", { name: "Resume every-second" }).click();
      const resumedAt = Date.now();
      await expect.poll(() => card.getByTestId("schedule-state").textContent(), POLL).toBe("active");
      await expect.poll(() => nextFire.locator("time").count(), POLL).toBe(1);
      await expect
        .poll(async () => Date.parse((await rows.first().getAttribute("data-scheduled-at")) ?? ""), POLL)
        .toBeGreaterThan(resumedAt);
      expect(await rows.first().textContent()).toContain("STARTED");

      // Run now: the execution it started opens, recorded as a manual firing.
      await card.getByRole("button", { name: "Run now every-second" }).click();
      await expect.poll(() => executionIdInUrl(page.url()), POLL).toBeTruthy();
      const executionId = executionIdInUrl(page.url()) ?? "";
      await expect.poll(() => page.getByTestId("execution-status").textContent(), POLL).toBe("SUCCEEDED");
      const manual = (await firings(workflowId, "every-second")).find((f) => f.executionId === executionId);
      expect(manual).toMatchObject({ status: "STARTED", manual: true });

      // Quiet for the files after this one: the workflow fires no more.
      await ui.graphql("mutation($id: ID!) { updateWorkflow(id: $id, input: { isActive: false }) { id } }", {
        id: workflowId,
      });
    },
    TEST_TIMEOUT,
  );
});
