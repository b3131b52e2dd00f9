/**
 * The editor's JSON text fields: the trigger (JSONLogic, checked as you type,
 * with sample rules to start from) and the workflow's run settings (cancelOn,
 * timeoutMs and flow control: concurrency, rateLimit, debounce, priority),
 * each as JSON in the schema's own shape, empty for none.
 */
import { useId } from "react";

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

export type SettingName = "cancelOn" | "timeoutMs" | "concurrency" | "rateLimit" | "debounce" | "priority";

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
];

export type SettingTexts = Record<SettingName, string>;

export const NO_SETTINGS: SettingTexts = {
  cancelOn: "",
  timeoutMs: "",
  concurrency: "",
  rateLimit: "",
  debounce: "",
  priority: "",
};

/** A saved workflow's settings as texts: none (null, {}, []) is empty. */
export function settingTexts(workflow: Partial<Record<SettingName, unknown>>): SettingTexts {
  const text = (value: unknown) =>
    value === null ||
    value === undefined ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0)
      ? ""
      : JSON.stringify(value);
  return Object.fromEntries(SETTINGS.map(({ name }) => [name, text(workflow[name])])) as SettingTexts;
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
  onChange,
}: {
  texts: SettingTexts;
  errors: Partial<Record<SettingName, string>>;
  onChange(name: SettingName, text: string): void;
}) {
  const base = useId();
  const count = SETTINGS.filter(({ name }) => texts[name].trim() !== "").length;
  const problems = Object.keys(errors).length;
  return (
    <details className="settings">
      <summary>
        Run settings: cancel, timeout, flow control{count > 0 ? ` (${count} set)` : ""}
        {problems > 0 ? <span className="field-problem"> ({problems} not valid)</span> : null}
      </summary>
      {SETTINGS.map(({ name, label, hint, example }) => (
        <div key={name} className="setting" data-field={name}>
          <label htmlFor={`${base}-${name}`}>
            {label} <span className="subtle">(JSON; empty: none)</span>
          </label>
          <textarea
            id={`${base}-${name}`}
            className="code"
            rows={name === "timeoutMs" || name === "priority" ? 1 : 2}
            spellCheck={false}
            placeholder={example}
            value={texts[name]}
            aria-invalid={errors[name] !== undefined}
            aria-describedby={`${base}-${name}-hint`}
            onChange={(e) => onChange(name, e.target.value)}
          />
          <p id={`${base}-${name}-hint`} className="hint subtle">
            {hint}
          </p>
          {errors[name] ? (
            <p className="field-problem" role="alert">
              {errors[name]}
            </p>
          ) : null}
        </div>
      ))}
    </details>
  );
}
