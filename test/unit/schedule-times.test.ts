/**
 * When schedules fire across daylight saving time, in Europe/Berlin (last Sundays of March and
 * October, at 01:00 UTC) and America/New_York (second Sunday of March, first of November, at
 * 02:00 local): a time of day that does not exist fires at the first instant after the gap, a
 * repeated one fires once; expressions with `*` or a step in their time fields follow real time.
 * Then what a save accepts and refuses.
 */
import { describe, expect, it } from "vitest";
import { checkSchedules } from "../../src/engine/schedule-definitions.js";
import { checkCron, localTime, nextCronInstants } from "../../src/engine/schedule-times.js";

const runs = (cron: string, zone: string, after: string, count: number) =>
  nextCronInstants(cron, zone, new Date(after), count).map((d) => localTime(d, zone));

describe("fixed times of day across DST", () => {
  it("Berlin, spring forward: 02:30 does not exist on March 29, so it fires once at 03:00", () => {
    expect(runs("30 2 * * *", "Europe/Berlin", "2026-03-27T12:00:00Z", 3)).toEqual([
      "2026-03-28T02:30:00+01:00",
      "2026-03-29T03:00:00+02:00",
      "2026-03-30T02:30:00+02:00",
    ]);
  });

  it("Berlin, fall back: 02:30 happens twice on October 25 and fires at the first only", () => {
    expect(runs("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", 3)).toEqual([
      "2026-10-25T02:30:00+02:00",
      "2026-10-26T02:30:00+01:00",
      "2026-10-27T02:30:00+01:00",
    ]);
  });

  it("New York, spring forward: 02:15 does not exist on March 8, so it fires once at 03:00", () => {
    expect(runs("15 2 * * *", "America/New_York", "2026-03-07T12:00:00Z", 3)).toEqual([
      "2026-03-08T03:00:00-04:00",
      "2026-03-09T02:15:00-04:00",
      "2026-03-10T02:15:00-04:00",
    ]);
  });

  it("New York, fall back: 01:30 happens twice on November 1 and fires at the first only", () => {
    expect(runs("0 30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", 3)).toEqual([
      "2026-11-01T01:30:00-04:00",
      "2026-11-02T01:30:00-05:00",
      "2026-11-03T01:30:00-05:00",
    ]);
  });

  it("a list of hours is fixed-time too (Vixie cron's rule)", () => {
    expect(runs("0 2,14 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", 3)).toEqual([
      "2026-03-28T14:00:00+01:00",
      "2026-03-29T03:00:00+02:00",
      "2026-03-29T14:00:00+02:00",
    ]);
  });
});

describe("intervals across DST follow real time", () => {
  it("hourly in Berlin: the hour skipped in spring does not exist; the repeated one fires in both passes", () => {
    const spring = nextCronInstants("0 * * * *", "Europe/Berlin", new Date("2026-03-29T00:30:00Z"), 3);
    expect(spring.map((d) => d.toISOString())).toEqual([
      "2026-03-29T01:00:00.000Z", // 03:00 CEST, one real hour after 02:00 CET
      "2026-03-29T02:00:00.000Z",
      "2026-03-29T03:00:00.000Z",
    ]);
    const fall = nextCronInstants("0 * * * *", "Europe/Berlin", new Date("2026-10-24T23:30:00Z"), 4);
    expect(fall.map((d) => localTime(d, "Europe/Berlin"))).toEqual([
      "2026-10-25T02:00:00+02:00",
      "2026-10-25T02:00:00+01:00",
      "2026-10-25T03:00:00+01:00",
      "2026-10-25T04:00:00+01:00",
    ]);
  });

  it("every 30 minutes in New York keeps a 30-minute rhythm through both changes", () => {
    for (const after of ["2026-03-08T06:00:00Z", "2026-11-01T04:00:00Z"]) {
      const instants = nextCronInstants("*/30 * * * *", "America/New_York", new Date(after), 8);
      const gaps = instants.slice(1).map((d, i) => d.getTime() - (instants[i] as Date).getTime());
      expect(gaps.every((gap) => gap === 30 * 60_000)).toBe(true);
    }
  });

  it("every second, in UTC, is every second", () => {
    const instants = nextCronInstants("* * * * * *", "UTC", new Date("2026-12-06T10:00:00.400Z"), 3);
    expect(instants.map((d) => d.toISOString())).toEqual([
      "2026-12-06T10:00:01.000Z",
      "2026-12-06T10:00:02.000Z",
      "2026-12-06T10:00:03.000Z",
    ]);
  });
});

describe("checking expressions", () => {
  it("accepts 5 and 6 fields, names and nicknames; refuses the rest with croner's reason", () => {
    for (const ok of ["0 9 * * MON-FRI", "*/10 * * * * *", "@daily", "0 0 L * *"]) {
      expect(checkCron(ok, "UTC"), ok).toEqual({ ok: true });
    }
    expect(checkCron("61 * * * *", "UTC").problem).toContain("minute: 61");
    expect(checkCron("* * *", "UTC").problem).toContain("got 3");
    expect(checkCron("0 9 * * *", "Europe/Atlantis").problem).toContain('unknown time zone "Europe/Atlantis"');
    expect(checkSchedules({ schedules: [{ cron: "0 0 30 2 *" }] }).problems).toEqual([
      { path: "schedules[0].cron", message: "never fires (no such date from now on)" },
    ]);
  });

  it("a save names each problem by its entry, with defaults filled in for the rest", () => {
    const { problems, definitions } = checkSchedules({
      schedules: [
        { cron: "0 9 * * *" },
        { id: "x y", cron: "0 9 * * *", payload: [1], catchupWindowMs: 1.5, paused: "no" },
      ],
      runAt: [{ at: "2026-13-01T00:00:00Z" }, { at: "2026-12-24T18:00:00+01:00", extra: true }],
    });
    expect(problems).toEqual([
      { path: "schedules[1].id", message: expect.stringContaining("letters, digits") },
      { path: "schedules[1].payload", message: expect.stringContaining("must be an object") },
      { path: "schedules[1].catchupWindowMs", message: expect.stringContaining("whole number") },
      { path: "schedules[1].paused", message: "must be true or false" },
      { path: "runAt[0].at", message: expect.stringContaining("ISO 8601") },
      { path: "runAt[1].extra", message: expect.stringContaining("unknown field") },
    ]);
    expect(definitions.schedules?.[0]).toEqual({
      id: "schedule-1",
      cron: "0 9 * * *",
      timezone: "UTC",
      payload: {},
      overlap: "allow",
      catchupWindowMs: 0,
    });
    expect(checkSchedules({}).definitions).toEqual({});
    expect(checkSchedules({ schedules: null, runAt: [] }).definitions).toEqual({ schedules: [], runAt: [] });
  });
});
