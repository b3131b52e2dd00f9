/**
 * Schedules as clients see them, over a real server whose clock stands on 2026-03-28 12:00 UTC,
 * the day before Europe's spring-forward (no worker: nothing fires, the timers are only read):
 * GraphQL and REST shapes, upcoming runs across the transition, refusals naming the entry and
 * why, pause and resume, and deletion stopping the timers.
 */
import { describe, expect, it } from "vitest";
import { linked, node, notify } from "../support/graphs.js";
import { requestServed } from "../support/rest.js";
import { useServedEngine } from "../support/served-engine.js";

const NOW = Date.parse("2026-03-28T12:00:00Z");
const offset = NOW - Date.now();
const served = useServedEngine({ clock: { now: () => new Date(Date.now() + offset) } });

const request = (method: string, path: string, body?: unknown) => requestServed(served.server.url, method, path, body);

// biome-ignore lint/suspicious/noExplicitAny: GraphQL data is checked by assertions
async function graphql(query: string, variables: Record<string, unknown> = {}): Promise<any> {
  return (await request("POST", "/graphql", { query, variables })).body;
}

const graph = linked(node("start", "start"), notify("tell"));

describe("schedules over GraphQL", () => {
  it("saves schedules and runAt entries, shows their timers and the next runs across the DST change", async () => {
    const created = await graphql(
      `mutation ($input: WorkflowInput!) { createWorkflow(input: $input) {
        id schedules { id cron timezone payload overlap catchupWindowMs paused nextFireAt lastFireAt }
        runAt { id at payload nextFireAt firedAt } } }`,
      {
        input: {
          name: "nightly",
          graph,
          schedules: [
            { id: "night", cron: "30 2 * * *", timezone: "Europe/Berlin", payload: { report: "daily" } },
            { cron: "0 9 * * MON", timezone: "America/New_York", overlap: "skip", catchupWindowMs: 600000 },
          ],
          runAt: [{ at: "2026-04-01T10:00:00Z", payload: { once: true } }],
        },
      },
    );
    expect(created.errors).toBeUndefined();
    const workflow = created.data.createWorkflow;
    expect(workflow.schedules).toEqual([
      {
        id: "night",
        cron: "30 2 * * *",
        timezone: "Europe/Berlin",
        payload: { report: "daily" },
        overlap: "allow",
        catchupWindowMs: 0,
        paused: false,
        // 02:30 does not exist in Berlin on March 29: the first valid instant after the gap, 03:00 CEST.
        nextFireAt: "2026-03-29T01:00:00.000Z",
        lastFireAt: null,
      },
      expect.objectContaining({ id: "schedule-2", overlap: "skip", catchupWindowMs: 600000 }),
    ]);
    expect(workflow.runAt).toEqual([
      {
        id: "run-at-1",
        at: "2026-04-01T10:00:00.000Z",
        payload: { once: true },
        nextFireAt: "2026-04-01T10:00:00.000Z",
        firedAt: null,
      },
    ]);

    const upcoming = await graphql(
      `query ($id: ID!) { upcomingRuns(workflowId: $id, count: 4) { scheduleId at localTime timezone } }`,
      { id: workflow.id },
    );
    expect(upcoming.data.upcomingRuns).toEqual(
      [
        {
          scheduleId: "night",
          at: "2026-03-29T01:00:00.000Z",
          localTime: "2026-03-29T03:00:00+02:00",
          timezone: "Europe/Berlin",
        },
        {
          scheduleId: "schedule-2",
          at: "2026-03-30T13:00:00.000Z",
          localTime: "2026-03-30T09:00:00-04:00",
          timezone: "America/New_York",
        },
        {
          scheduleId: "night",
          at: "2026-03-30T00:30:00.000Z",
          localTime: "2026-03-30T02:30:00+02:00",
          timezone: "Europe/Berlin",
        },
        {
          scheduleId: "night",
          at: "2026-03-31T00:30:00.000Z",
          localTime: "2026-03-31T02:30:00+02:00",
          timezone: "Europe/Berlin",
        },
      ].sort((a, b) => a.at.localeCompare(b.at)),
    );
  });

  it("refuses an invalid expression, time zone or instant, naming the entry and why", async () => {
    const answer = await graphql(`mutation ($input: WorkflowInput!) { createWorkflow(input: $input) { id } }`, {
      input: {
        name: "broken",
        graph,
        schedules: [
          { cron: "61 * * * *" },
          { cron: "0 9 * * *", timezone: "Mars/Olympus_Mons" },
          { cron: "* * * * * * *" },
          { id: "dup", cron: "0 9 * * *", overlap: "sometimes" },
        ],
        runAt: [{ id: "dup", at: "2026-04-01T10:00:00Z" }],
      },
    });
    expect(answer.data).toBeNull();
    const [error] = answer.errors;
    expect(error.extensions.code).toBe("BAD_USER_INPUT");
    const problems = error.extensions.problems as { path: string; message: string }[];
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: "schedules[0].cron", message: expect.stringContaining("minute: 61") },
        { path: "schedules[1].timezone", message: expect.stringContaining("Mars/Olympus_Mons") },
        { path: "schedules[2].cron", message: expect.stringContaining("5 fields") },
        { path: "schedules[3].overlap", message: expect.stringContaining("allow, skip, buffer_one, cancel_previous") },
        { path: "runAt[0].id", message: expect.stringContaining('"dup" is used by another') },
      ]),
    );
  });

  it("pauses and resumes a schedule; a deleted workflow's timers stop", async () => {
    const created = await graphql(`mutation ($input: WorkflowInput!) { createWorkflow(input: $input) { id } }`, {
      input: { name: "pausable", graph, schedules: [{ id: "hourly", cron: "0 * * * *" }] },
    });
    const id = created.data.createWorkflow.id;
    const paused = await graphql(
      `mutation ($id: ID!) { pauseSchedule(workflowId: $id, scheduleId: "hourly") { id paused nextFireAt } }`,
      { id },
    );
    expect(paused.data.pauseSchedule).toEqual({ id: "hourly", paused: true, nextFireAt: null });
    // A save that leaves `paused` out keeps it paused.
    const saved = await graphql(
      `mutation ($id: ID!, $input: WorkflowPatch!) { updateWorkflow(id: $id, input: $input) { schedules { paused } } }`,
      { id, input: { schedules: [{ id: "hourly", cron: "0 * * * *" }] } },
    );
    expect(saved.data.updateWorkflow.schedules).toEqual([{ paused: true }]);
    const resumed = await graphql(
      `mutation ($id: ID!) { resumeSchedule(workflowId: $id, scheduleId: "hourly") { paused nextFireAt } }`,
      { id },
    );
    expect(resumed.data.resumeSchedule).toEqual({ paused: false, nextFireAt: "2026-03-28T13:00:00.000Z" });
    const missing = await graphql(`mutation ($id: ID!) { pauseSchedule(workflowId: $id, scheduleId: "nope") { id } }`, {
      id,
    });
    expect(missing.errors[0].extensions.code).toBe("NOT_FOUND");

    await request("DELETE", `/workflows/${id}`);
    const row = await served.engine.db.schedule.findFirstOrThrow({ where: { workflowId: id } });
    expect(row.nextFireAt).toBeNull();
    expect((await request("GET", `/workflows/${id}/upcoming-runs`)).status).toBe(404);
  });
});

describe("schedules over REST", () => {
  it("saves them in snake_case, lists upcoming runs and firings, and fires one by hand", async () => {
    const created = await request("POST", "/workflows", {
      name: "rest schedules",
      graph,
      schedules: [{ id: "ny", cron: "0 30 1 * * *", timezone: "America/New_York", catchup_window_ms: 5000 }],
      run_at: [{ id: "launch", at: "2026-05-01T00:00:00Z" }],
    });
    expect(created.status).toBe(200);
    expect(created.body.schedules).toEqual([
      {
        id: "ny",
        cron: "0 30 1 * * *",
        timezone: "America/New_York",
        payload: {},
        overlap: "allow",
        catchup_window_ms: 5000,
        paused: false,
        next_fire_at: "2026-03-29T05:30:00.000Z",
        last_fire_at: null,
        last_execution_id: null,
      },
    ]);
    expect(created.body.run_at).toEqual([
      {
        id: "launch",
        at: "2026-05-01T00:00:00.000Z",
        payload: {},
        next_fire_at: "2026-05-01T00:00:00.000Z",
        fired_at: null,
        execution_id: null,
      },
    ]);
    const id = created.body.id;
    const upcoming = await request("GET", `/workflows/${id}/upcoming-runs?count=2`);
    expect(upcoming.body).toEqual([
      { schedule_id: "ny", at: "2026-03-29T05:30:00.000Z", timezone: "America/New_York" },
      { schedule_id: "ny", at: "2026-03-30T05:30:00.000Z", timezone: "America/New_York" },
    ]);
    expect((await request("GET", `/workflows/${id}/upcoming-runs?count=0`)).status).toBe(422);

    const fired = await request("POST", `/workflows/${id}/schedules/ny/trigger`);
    expect(fired.status).toBe(200);
    expect(fired.body).toMatchObject({ schedule_id: "ny", status: "STARTED", manual: true });
    const execution = await request("GET", `/executions/${fired.body.execution_id}`);
    expect(execution.body.context.$schedule).toMatchObject({ id: "ny", manual: true, timezone: "America/New_York" });
    const firings = await request("GET", `/workflows/${id}/schedules/ny/firings`);
    expect(firings.body).toEqual([expect.objectContaining({ execution_id: fired.body.execution_id })]);

    const paused = await request("POST", `/workflows/${id}/schedules/ny/pause`);
    expect(paused.body).toMatchObject({ id: "ny", paused: true, next_fire_at: null });
    expect((await request("POST", `/workflows/${id}/schedules/nope/pause`)).status).toBe(404);

    const bad = await request("PUT", `/workflows/${id}`, {
      name: "rest schedules",
      graph,
      schedules: [{ cron: "0 9 * * *", catchup_window_ms: -1 }],
      run_at: [{ at: "tomorrow" }],
    });
    expect(bad.status).toBe(422);
    expect(bad.body.detail.map((d: { loc: unknown[] }) => d.loc)).toEqual([
      ["body", "schedules", 0, "catchup_window_ms"],
      ["body", "run_at", 0, "at"],
    ]);
  });
});
