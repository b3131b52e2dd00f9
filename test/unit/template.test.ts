import { describe, expect, it } from "vitest";
import { renderTemplates, resolvePath, type TemplateContext } from "../../src/engine/template.js";

const context: TemplateContext = {
  payload: { lead: { title: "CEO", score: 90, tags: ["a", "b"], hot: true }, empty: null },
  steps: { n3: { output: { status_code: 200, body: { id: 7 } } } },
  execution: { id: "exec-1" },
  workflow: { id: "wf-1", name: "Lead routing" },
};

describe("renderTemplates", () => {
  it("keeps the value's type when the string is exactly one template", () => {
    expect(renderTemplates("{{payload.lead.score}}", context)).toBe(90);
    expect(renderTemplates("{{ payload.lead.hot }}", context)).toBe(true);
    expect(renderTemplates("{{payload.lead.tags}}", context)).toEqual(["a", "b"]);
    expect(renderTemplates("{{ steps.n3.output.body }}", context)).toEqual({ id: 7 });
  });

  it("renders templates inside longer strings as text, objects as JSON", () => {
    expect(renderTemplates("Lead {{payload.lead.title}} scored {{ payload.lead.score }}", context)).toBe(
      "Lead CEO scored 90",
    );
    expect(renderTemplates("body={{steps.n3.output.body}}", context)).toBe('body={"id":7}');
    expect(renderTemplates("run {{execution.id}} of {{workflow.name}} ({{workflow.id}})", context)).toBe(
      "run exec-1 of Lead routing (wf-1)",
    );
  });

  it("renders deeply inside objects and arrays, leaving other values alone", () => {
    const body = {
      templateId: "followup_1",
      lead: "{{payload.lead.title}}",
      list: [1, "{{payload.lead.score}}", { x: "{{ payload.lead.tags[1] }}" }],
      n: null,
    };
    expect(renderTemplates(body, context)).toEqual({
      templateId: "followup_1",
      lead: "CEO",
      list: [1, 90, { x: "b" }],
      n: null,
    });
  });

  it("renders missing values as null when whole and as empty text inside strings", () => {
    expect(renderTemplates("{{payload.nope.deeper}}", context)).toBeNull();
    expect(renderTemplates("[{{payload.nope}}] [{{payload.empty}}]", context)).toBe("[] []");
  });

  it("does not reach prototype properties", () => {
    expect(renderTemplates("{{payload.constructor}}", context)).toBeNull();
    expect(renderTemplates("{{payload.__proto__}}", context)).toBeNull();
    expect(renderTemplates("x{{payload.lead.toString}}x", context)).toBe("xx");
    expect(resolvePath(context, "payload.lead.title.length")).toBeUndefined();
  });

  it("leaves strings without templates untouched, including single braces", () => {
    expect(renderTemplates("{not a template}", context)).toBe("{not a template}");
  });
});
