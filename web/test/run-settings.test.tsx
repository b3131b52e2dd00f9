import { renderToStaticMarkup } from "react-dom/server";
import { CombinedError } from "urql";
import { describe, expect, it } from "vitest";
import { inputProblems } from "../src/lib/input-problems.ts";
import { formatInZone, formatLocalTime } from "../src/lib/zoned-time.ts";
import {
  NO_SETTINGS,
  readSettings,
  SettingsFields,
  settingOfPath,
  settingTexts,
} from "../src/pages/editor/json-fields.tsx";

describe("run settings as texts", () => {
  it("shows schedules and runAt one entry a line, without defaults, paused or __typename", () => {
    const texts = settingTexts({
      schedules: [
        {
          __typename: "Schedule",
          id: "every-5s",
          cron: "*/5 * * * * *",
          timezone: "UTC",
          payload: {},
          overlap: "allow",
          catchupWindowMs: 0,
          paused: true,
        },
        {
          __typename: "Schedule",
          id: "monday-9",
          cron: "0 9 * * MON",
          timezone: "Europe/Berlin",
          payload: { team: "sales" },
          overlap: "skip",
          catchupWindowMs: 60000,
          paused: false,
        },
      ],
      runAt: [{ __typename: "RunAt", id: "launch", at: "2030-01-01T00:00:00.000Z", payload: {} }],
      concurrency: [{ __typename: "ConcurrencyLimit", key: null, limit: 3, strategy: "queue" }],
      rateLimit: { __typename: "RateLimit", key: null, limit: 1, mode: "throttle", periodMs: 1000 },
    });
    expect(texts.schedules).toBe(
      [
        "[",
        '  {"id":"every-5s","cron":"*/5 * * * * *","timezone":"UTC"},',
        '  {"id":"monday-9","cron":"0 9 * * MON","timezone":"Europe/Berlin","payload":{"team":"sales"},"overlap":"skip","catchupWindowMs":60000}',
        "]",
      ].join("\n"),
    );
    expect(texts.runAt).toBe('[\n  {"id":"launch","at":"2030-01-01T00:00:00.000Z"}\n]');
    expect(texts.concurrency).toBe('[{"key":null,"limit":3,"strategy":"queue"}]');
    expect(texts.rateLimit).toBe('{"key":null,"limit":1,"mode":"throttle","periodMs":1000}');
    expect(settingTexts({ schedules: [], runAt: null })).toEqual(NO_SETTINGS);
  });

  it("reads them back as the API takes them (empty: null, which clears the list)", () => {
    const { values, errors } = readSettings({ ...NO_SETTINGS, schedules: '[{"cron": "* * * * *"}]', runAt: "" });
    expect(errors).toEqual({});
    expect(values.schedules).toEqual([{ cron: "* * * * *" }]);
    expect(values.runAt).toBeNull();
    expect(readSettings({ ...NO_SETTINGS, schedules: "[{" }).errors.schedules).toContain("Not valid JSON");
  });

  it("names the setting a server problem belongs to", () => {
    expect(settingOfPath("schedules[1].cron")).toBe("schedules");
    expect(settingOfPath("runAt[0].at")).toBe("runAt");
    expect(settingOfPath("rateLimit.periodMs")).toBe("rateLimit");
    expect(settingOfPath("timeoutMs")).toBe("timeoutMs");
    expect(settingOfPath("graph.nodes[0].data.ms")).toBeUndefined();
    expect(settingOfPath("name")).toBeUndefined();
  });

  it("shows a server problem beside its field, marked invalid and described by it", () => {
    const html = renderToStaticMarkup(
      <SettingsFields
        texts={{ ...NO_SETTINGS, schedules: '[{"cron": "0 25 * * *"}]' }}
        errors={{}}
        serverProblems={[
          { path: "schedules[0].cron", message: "Invalid value for hour: 25" },
          { path: "graph", message: "not for a setting" },
        ]}
        onChange={() => {}}
      />,
    );
    const field = html.slice(html.indexOf('data-field="schedules"'), html.indexOf('data-field="runAt"'));
    expect(field).toContain('aria-invalid="true"');
    expect(field).toContain("Invalid value for hour: 25");
    expect(field).toMatch(/aria-describedby="[^"]*-problem-0"/);
    expect(html).not.toContain("not for a setting");
    expect(html).toContain("(1 not valid)");
  });
});

describe("a refused mutation's problems", () => {
  it("reads the engine's problems and GraphQL's refusal of a variable", () => {
    const error = new CombinedError({
      graphQLErrors: [
        {
          message: "schedules[0].cron: Invalid value for hour: 25",
          extensions: {
            code: "BAD_USER_INPUT",
            problems: [{ path: "schedules[0].cron", message: "Invalid value for hour: 25" }],
          },
        },
        {
          message:
            'Variable "$input" got invalid value "soon" at "input.runAt[0].at"; DateTime cannot represent an invalid date-time-string soon.',
          extensions: { code: "BAD_USER_INPUT" },
        },
        { message: "Something else", extensions: {} },
      ],
    });
    expect(inputProblems(error)).toEqual([
      { path: "schedules[0].cron", message: "Invalid value for hour: 25" },
      { path: "runAt[0].at", message: "DateTime cannot represent an invalid date-time-string soon." },
    ]);
    expect(inputProblems(undefined)).toEqual([]);
  });
});

describe("times in a zone", () => {
  it("formats an instant in a zone with its name, and a wall-clock time with its offset", () => {
    expect(formatInZone("2026-03-29T01:00:00Z", "Europe/Berlin")).toMatch(/3:00:00|03:00:00/);
    expect(formatInZone("not a time", "UTC")).toBe("not a time");
    // A zone the browser does not know: shown in UTC.
    expect(formatInZone("2026-03-29T01:00:00Z", "Mars/Olympus")).toMatch(/1:00:00|01:00:00/);
    expect(formatLocalTime("2026-03-29T03:00:00+02:00")).toBe("2026-03-29 03:00:00 +02:00");
    expect(formatLocalTime("2026-03-29T03:00:00Z")).toBe("2026-03-29 03:00:00 +00:00");
    expect(formatLocalTime("whenever")).toBe("whenever");
  });
});
