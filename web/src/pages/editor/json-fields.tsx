/**
 * The editor's JSON text fields: the trigger (JSONLogic, checked as you type,
 * with sample rules to start from) and the workflow's run settings (cancelOn,
 * timeoutMs, flow control: concurrency, rateLimit, debounce, priority, and
 * the clock: schedules, runAt), each as JSON in the schema's own shape, empty
 * for none. What the server refuses on a save comes back as problems with a
 * path (`schedules[1].cron`), each shown beside the setting it names.
 */
import { useEffect, useId, useRef } from "react";
import type { Problem } from "../../lib/schema-form.ts";

/** A JSON text read: its value, or where and why it does not parse. */
export function parseJsonText(text: string, empty: unknown): { value: unknown } | { error: string } {
  if (text.trim() === "") return { value: empty };
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // V8 names a position; a line and a column are easier to find.
    const position = /position (\d+)/.exec(message)?.[1];
    if (position === undefined) return { error: `Not valid JSON: ${message}` };
    const before = text.slice(0, Number(position));
    const line = before.split("\n").length;
    const column = Number(position) - before.lastIndexOf("\n");
    return {
      error: `Not valid JSON at line ${line}, column ${column}: ${message.replace(/ in JSON at position \d+.*$/, "")}`,
    };
  }
}

/** Rules to start a trigger from (JSONLogic over the event's payload). */
export const SAMPLE_RULES: { label: string; rule: unknown }[] = [
  { label: "field equals", rule: { "==": [{ var: "type" }, "order.created"] } },
  {
    label: "all of",
    rule: { and: [{ "==": [{ var: "type" }, "order.created"] }, { ">=": [{ var: "order.total" }, 100] }] },
  },
  { label: "one of", rule: { in: [{ var: "lead.source" }, ["LinkedIn", "Referral"]] } },
];

export type SettingName =
  | "cancelOn"
  | "timeoutMs"
  | "concurrency"
  | "rateLimit"
  | "debounce"
  | "priority"
  | "schedules"
  | "runAt";

export const SETTINGS: { name: SettingName; label: string; hint: string; example: string }[] = [
  {
    name: "cancelOn",
    label: "Cancel on",
    hint: "JSONLogic over events, templated per execution: a matching event cancels a live execution",
    example: '{"==": [{"var": "orderId"}, "{{payload.orderId}}"]}',
  },
  {
    name: "timeoutMs",
    label: "Timeout (ms)",
    hint: "an execution still unfinished this long after it started fails",
    example: "600000",
  },
  {
    name: "concurrency",
    label: "Concurrency",
    hint: "limits, each applying: key (template), limit, strategy (queue, skip, cancel_newest, cancel_in_progress)",
    example: '[{"key": "{{payload.customerId}}", "limit": 1, "strategy": "queue"}]',
  },
  {
    name: "rateLimit",
    label: "Rate limit",
    hint: "at most limit executions per key in any periodMs; mode throttle (later, in order) or drop",
    example: '{"limit": 10, "periodMs": 60000, "mode": "throttle"}',
  },
  {
    name: "debounce",
    label: "Debounce",
    hint: "events wait periodMs of quiet (at most maxDelayMs), then one execution starts with the last, first or all",
    example: '{"key": "{{payload.userId}}", "periodMs": 5000, "use": "last"}',
  },
  {
    name: "priority",
    label: "Priority",
    hint: "-100 to 100 or a template; among executions waiting for capacity, higher starts first",
    example: '"{{payload.priority}}"',
  },
  {
    name: "schedules",
    label: "Schedules",
    hint: "cron entries, each starting one execution per instant: id, cron (5 fields, or 6 with seconds first), timezone (IANA, default UTC), payload, overlap (allow, skip, buffer_one, cancel_previous), catchupWindowMs; paused left out keeps what Pause / Resume set",
    example: '[{"id": "monday-9", "cron": "0 9 * * MON", "timezone": "Europe/Berlin", "overlap": "skip"}]',
  },
  {
    name: "runAt",
    label: "Run at",
    hint: "one-off starts: id, at (ISO 8601 time), payload; a past time fires at once, an entry saved again never fires twice",
    example: '[{"id": "launch", "at": "2030-01-01T09:00:00Z", "payload": {}}]',
  },
];

/** The settings whose text is a list of entries, shown one entry a line. */
const LISTS: ReadonlySet<SettingName> = new Set(["schedules", "runAt"]);

export type SettingTexts = Record<SettingName, string>;

export const NO_SETTINGS: SettingTexts = {
  cancelOn: "",
  timeoutMs: "",
  concurrency: "",
  rateLimit: "",
  debounce: "",
  priority: "",
  schedules: "",
  runAt: "",
};

/** A saved workflow's settings as texts: none (null, {}, []) is empty. */
export function settingTexts(workflow: Partial<Record<SettingName, unknown>>): SettingTexts {
  const empty = (value: unknown) =>
    value === null ||
    value === undefined ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0);
  const text = (name: SettingName, value: unknown) => {
    if (empty(value)) return "";
    if (!TYPED.has(name)) return JSON.stringify(value);
    if (!LISTS.has(name)) return JSON.stringify(Array.isArray(value) ? value.map(ownFields) : ownFields(value));
    const entries = Array.isArray(value) ? value : [value];
    return `[\n${entries.map((entry) => `  ${JSON.stringify(withoutDefaults(entry))}`).join(",\n")}\n]`;
  };
  return Object.fromEntries(SETTINGS.map(({ name }) => [name, text(name, workflow[name])])) as SettingTexts;
}

/** The settings read as GraphQL object types (not JSON): urql adds `__typename` to each, which no input takes. */
const TYPED: ReadonlySet<SettingName> = new Set(["concurrency", "rateLimit", "debounce", "schedules", "runAt"]);

function ownFields(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== "__typename"));
}

/** Values a schedule or runAt entry has when left out: not repeated in its text. */
const ENTRY_DEFAULTS: Record<string, unknown> = { overlap: "allow", catchupWindowMs: 0 };

/**
 * A saved schedule or runAt entry as it is typed: its defaults left out, and never `paused` (left
 * out on a save, an entry stays as Pause / Resume left it, so an older text does not undo them).
 */
function withoutDefaults(entry: unknown): unknown {
  const fields = ownFields(entry);
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) return fields;
  return Object.fromEntries(
    Object.entries(fields).filter(
      ([key, value]) =>
        key !== "paused" && ENTRY_DEFAULTS[key] !== value && !(key === "payload" && isEmptyObject(value)),
    ),
  );
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

/** The setting a server problem's path names (`schedules[1].cron` → schedules), if any. */
export function settingOfPath(path: string): SettingName | undefined {
  const first = /^[A-Za-z]+/.exec(path)?.[0];
  return SETTINGS.find(({ name }) => name === first)?.name;
}

/** The settings as the API takes them (null: none), or the fields that do not parse. */
export function readSettings(texts: SettingTexts): {
  values: Record<SettingName, unknown>;
  errors: Partial<Record<SettingName, string>>;
} {
  const values = {} as Record<SettingName, unknown>;
  const errors: Partial<Record<SettingName, string>> = {};
  for (const { name } of SETTINGS) {
    const parsed = parseJsonText(texts[name], null);
    if ("error" in parsed) errors[name] = parsed.error;
    else if (name === "timeoutMs" && parsed.value !== null && !Number.isInteger(parsed.value))
      errors[name] = "A whole number of milliseconds";
    else values[name] = parsed.value;
  }
  return { values, errors };
}

export function SettingsFields({
  texts,
  errors,
  serverProblems = [],
  onChange,
}: {
  texts: SettingTexts;
  errors: Partial<Record<SettingName, string>>;
  /** What the server refused at the last save, each shown beside the setting its path names. */
  serverProblems?: readonly Problem[];
  onChange(name: SettingName, text: string): void;
}) {
  const base = useId();
  const details = useRef<HTMLDetailsElement>(null);
  const count = SETTINGS.filter(({ name }) => texts[name].trim() !== "").length;
  const refused = (name: SettingName) => serverProblems.filter((p) => settingOfPath(p.path) === name);
  const problems = SETTINGS.filter(({ name }) => errors[name] !== undefined || refused(name).length > 0).length;
  const shownProblems = serverProblems.filter((p) => settingOfPath(p.path) !== undefined).length;
  // A problem the server names here must be seen: open the settings.
  useEffect(() => {
    if (shownProblems > 0 && details.current) details.current.open = true;
  }, [shownProblems]);
  return (
    <details className="settings" ref={details}>
      <summary>
        Run settings: cancel, timeout, flow control, schedules{count > 0 ? ` (${count} set)` : ""}
        {problems > 0 ? <span className="field-problem"> ({problems} not valid)</span> : null}
      </summary>
      {SETTINGS.map(({ name, label, hint, example }) => {
        const id = `${base}-${name}`;
        const fieldProblems = refused(name);
        const described = [
          `${id}-hint`,
          errors[name] ? `${id}-error` : "",
          ...fieldProblems.map((_, i) => `${id}-problem-${i}`),
        ];
        return (
          <div key={name} className="setting" data-field={name}>
            <label htmlFor={id}>
              {label} <span className="subtle">(JSON; empty: none)</span>
            </label>
            <textarea
              id={id}
              className="code"
              rows={
                LISTS.has(name)
                  ? Math.min(8, Math.max(3, texts[name].split("\n").length))
                  : name === "timeoutMs" || name === "priority"
                    ? 1
                    : 2
              }
              spellCheck={false}
              placeholder={example}
              value={texts[name]}
              aria-invalid={errors[name] !== undefined || fieldProblems.length > 0}
              aria-describedby={described.filter(Boolean).join(" ")}
              onChange={(e) => onChange(name, e.target.value)}
            />
            <p id={`${id}-hint`} className="hint subtle">
              {hint}
            </p>
            {errors[name] ? (
              <p id={`${id}-error`} className="field-problem" role="alert">
                {errors[name]}
              </p>
            ) : null}
            {fieldProblems.map((p, i) => (
              <p key={`${p.path}${p.message}`} id={`${id}-problem-${i}`} className="field-problem" role="alert">
                <code>{p.path}</code>: {p.message}
              </p>
            ))}
          </div>
        );
      })}
    </details>
  );
}
