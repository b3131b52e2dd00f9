/**
 * MAX_TEMPLATE_OUTPUT_BYTES is enforced while a template renders: rendering
 * stops before it builds anything past the limit (a template repeated over a
 * large payload used to reach V8's string limit, "Invalid string length",
 * inside rendering), and never refuses what fits. The step-context rules for
 * what a step stores: input and notification messages under the output limit.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GraphNode } from "../../src/engine/graph.js";
import { sendNotificationHandler } from "../../src/engine/handlers/send-notification.js";
import { limitMessage, limitStored, prepareInput } from "../../src/engine/runner/step-context.js";
import { renderTemplates, type TemplateContext, TemplateTooLargeError } from "../../src/engine/template.js";

const contextWith = (payload: unknown): TemplateContext => ({
  payload,
  steps: {},
  execution: { id: "e1" },
  workflow: { id: "w1", name: "W" },
});

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

function thrownBy(render: () => unknown): unknown {
  try {
    render();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("rendering under MAX_TEMPLATE_OUTPUT_BYTES", () => {
  it("stops a template repeated over a large value before V8's string limit", () => {
    // 15,000 × 40,000 characters = 600 M: past V8's longest string (about 537 M), which threw inside rendering.
    const template = "{{payload.t}}".repeat(15_000);
    const error = thrownBy(() => renderTemplates(template, contextWith({ t: "x".repeat(40_000) }), 1_000_000));
    expect(error).toBeInstanceOf(TemplateTooLargeError);
    expect((error as TemplateTooLargeError).limit).toBe(1_000_000);
    expect((error as TemplateTooLargeError).bytes).toBeGreaterThan(1_000_000);
    expect((error as TemplateTooLargeError).bytes).toBeLessThan(1_100_000);
  });

  it("counts whole-value templates by their size, objects inside text before they become text", () => {
    const payload = { text: "y".repeat(50_000) };
    const many = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, "{{payload}}"]));
    expect(thrownBy(() => renderTemplates(many, contextWith(payload), 1_000_000))).toBeInstanceOf(
      TemplateTooLargeError,
    );
    const inText = `a {{payload}} b`.repeat(100);
    expect(thrownBy(() => renderTemplates(inText, contextWith(payload), 1_000_000))).toBeInstanceOf(
      TemplateTooLargeError,
    );
  });

  it("never refuses a value whose JSON fits the limit exactly", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: "binary" }), (payload, text) => {
        const value = { whole: "{{payload}}", inside: `<{{payload}}> ${text} {{payload}}`, literal: [text, 1, null] };
        const context = contextWith(payload);
        const rendered = renderTemplates(value, context);
        expect(renderTemplates(value, context, jsonBytes(rendered))).toEqual(rendered);
      }),
    );
  });
});

describe("a step's prepared input", () => {
  const node = (data: Record<string, unknown>): GraphNode => ({ id: "n1", type: "send_notification", data });
  const limits = { maxTemplateBytes: 1_000_000, maxStoredBytes: 10_000 };

  it("fails, naming the field and the setting, when a field renders past the limit", () => {
    const prepared = prepareInput(
      node({ toRole: "ops", message: "{{payload.t}}".repeat(15_000) }),
      sendNotificationHandler,
      contextWith({ t: "x".repeat(40_000) }),
      limits,
    );
    expect(prepared.ok).toBe(false);
    if (prepared.ok) return;
    expect(prepared.error).toMatch(
      /^data\.message: the rendered template is at least \d+ bytes; the limit is 1000000 \(MAX_TEMPLATE_OUTPUT_BYTES\)$/,
    );
    expect(prepared.input).toEqual({ toRole: "ops", message: { refused: true, bytes: expect.any(Number) } });
  });

  it("stores an input larger than the stored limit as a flagged preview, and still hands the handler all of it", () => {
    const big = "z".repeat(50_000);
    const prepared = prepareInput(
      node({ toRole: "ops", message: "{{payload.big}}" }),
      sendNotificationHandler,
      contextWith({ big }),
      limits,
    );
    expect(prepared.ok).toBe(true);
    if (!prepared.ok) return;
    expect(prepared.data).toEqual({ toRole: "ops", message: big });
    expect(prepared.input).toEqual({ truncated: true, bytes: expect.any(Number), preview: expect.any(String) });
    expect((prepared.input as { preview: string }).preview.length).toBeLessThanOrEqual(2000);
  });

  it("fills send_notification's defaults for data {} and checks toRole after templating", () => {
    const empty = prepareInput(node({}), sendNotificationHandler, contextWith({}), limits);
    expect(empty).toMatchObject({ ok: true, data: { toRole: "AE", message: "New event" } });
    const long = prepareInput(
      node({ toRole: "{{payload.role}}", message: "hi" }),
      sendNotificationHandler,
      contextWith({ role: "r".repeat(3400) }),
      limits,
    );
    expect(long).toMatchObject({
      ok: false,
      error: "invalid input after templating: data.toRole: must be at most 200 characters; this one is 3400",
    });
  });
});

describe("stored sizes", () => {
  it("cuts a preview or a message before half a surrogate pair, which PostgreSQL refuses", () => {
    const text = `${"a".repeat(1999)}😀${"b".repeat(5000)}`;
    const message = limitMessage(text, 1000);
    expect(message.startsWith("a".repeat(1000))).toBe(true);
    expect(message).toMatch(/… \[truncated: the message was 7003 bytes\]$/);
    const emojiAtTheCut = limitMessage(`${"a".repeat(1999)}😀${"b".repeat(5000)}`, 3000);
    expect(emojiAtTheCut.startsWith(`${"a".repeat(1999)}…`)).toBe(true);
    // '["' and 1,997 characters: the emoji's first half would be the preview's 2,000th character.
    const stored = limitStored([`${"a".repeat(1997)}😀${"b".repeat(5000)}`], 3000) as { preview: string };
    expect(stored.preview).toBe(`["${"a".repeat(1997)}`);
  });

  it("keeps what fits as it is", () => {
    expect(limitMessage("short", 1000)).toBe("short");
    expect(limitStored({ a: 1 }, 1000)).toEqual({ a: 1 });
  });
});
