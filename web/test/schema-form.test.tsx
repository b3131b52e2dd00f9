import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { SchemaForm } from "../src/components/SchemaForm.tsx";
import {
  fieldsFromSchema,
  getPath,
  parseFieldInput,
  parseNodeProblemPath,
  problemsForField,
  problemsForNode,
  setPath,
} from "../src/lib/schema-form.ts";

/** Shaped like the `dataSchema` nodeTypes gives for http_call (zod's JSON Schema). */
const httpCall = {
  type: "object",
  properties: {
    method: { type: "string", enum: ["GET", "POST", "PUT", "PATCH", "DELETE"] },
    url: { type: "string", description: "Templated" },
    headers: { type: "object", additionalProperties: { type: "string" } },
    body: {},
    timeoutMs: { type: "integer", default: 20000 },
    retry: {
      type: "object",
      properties: { attempts: { type: "integer" }, backoffMs: { type: "number" } },
      required: ["attempts"],
    },
    allowHttpErrors: { type: "boolean" },
    message: { type: "string", maxLength: 5000 },
  },
  required: ["method", "url"],
};

describe("schema to form", () => {
  it("gives each property the input its schema calls for", () => {
    const fields = fieldsFromSchema(httpCall);
    expect(fields.map((f) => [f.path, f.kind, f.required])).toEqual([
      ["method", "enum", true],
      ["url", "string", true],
      ["headers", "json", false],
      ["body", "json", false],
      ["timeoutMs", "integer", false],
      ["retry", "object", false],
      ["allowHttpErrors", "boolean", false],
      ["message", "string", false],
    ]);
    expect(fields[0]?.options).toEqual(["GET", "POST", "PUT", "PATCH", "DELETE"]);
    expect(fields[4]?.defaultValue).toBe(20000);
    expect(fields[4]?.label).toBe("Timeout ms");
    expect(fields[5]?.children?.map((c) => [c.path, c.kind, c.required])).toEqual([
      ["retry.attempts", "integer", true],
      ["retry.backoffMs", "number", false],
    ]);
    expect(fields[7]?.multiline).toBe(true);
    expect(fieldsFromSchema({ type: "object", properties: {} })).toEqual([]);
    expect(fieldsFromSchema(undefined)).toEqual([]);
  });

  it("reads and writes nested data without touching the rest", () => {
    const data = { url: "https://x", retry: { attempts: 3 } };
    const next = setPath(data, "retry.backoffMs", 500);
    expect(next).toEqual({ url: "https://x", retry: { attempts: 3, backoffMs: 500 } });
    expect(data.retry).toEqual({ attempts: 3 });
    expect(getPath(next, "retry.backoffMs")).toBe(500);
    expect(setPath({ retry: { attempts: 3 } }, "retry.attempts", undefined)).toEqual({});
  });

  it("turns typed text into values, or says why not", () => {
    const [, url, headers, , timeout] = fieldsFromSchema(httpCall);
    if (!url || !headers || !timeout) throw new Error("fields missing");
    expect(parseFieldInput(timeout, "1500")).toEqual({ value: 1500 });
    expect(parseFieldInput(timeout, "1.5")).toEqual({ error: "must be a whole number" });
    expect(parseFieldInput(timeout, "")).toEqual({ value: undefined });
    expect(parseFieldInput(headers, '{"a":"b"}')).toEqual({ value: { a: "b" } });
    expect(parseFieldInput(headers, "{a")).toEqual({ error: "must be valid JSON" });
    expect(parseFieldInput(url, "")).toEqual({ value: undefined });
  });

  it("puts every validation problem on the node and the field it names", () => {
    const problems = [
      { path: "graph.nodes[1].data.url", message: "must be a URL" },
      { path: "graph.nodes[1].data.retry.attempts", message: "must be at least 1" },
      { path: "graph.nodes[2].data.cases[0].condition", message: "required unless the case is the else case" },
      { path: "graph.nodes[2]", message: "unreachable" },
      { path: "graph.edges[0].target", message: "no such node" },
    ];
    expect(parseNodeProblemPath("graph.nodes[12].data.url")).toEqual({ index: 12, dataPath: "url" });
    expect(parseNodeProblemPath("graph.nodes[2]")).toEqual({ index: 2, dataPath: "" });
    expect(parseNodeProblemPath("graph.edges[0].target")).toBeUndefined();
    expect(problemsForNode(problems, 1)).toHaveLength(2);
    expect(problemsForNode(problems, 2)).toHaveLength(2);
    expect(problemsForField(problemsForNode(problems, 1), "url").map((p) => p.message)).toEqual(["must be a URL"]);
    expect(problemsForField(problemsForNode(problems, 1), "retry").map((p) => p.message)).toEqual([
      "must be at least 1",
    ]);
    expect(problemsForField(problemsForNode(problems, 2), "cases")).toHaveLength(1);
  });

  it("renders labelled inputs with the field's problem beside it", () => {
    const html = renderToStaticMarkup(
      <SchemaForm
        fields={fieldsFromSchema(httpCall)}
        data={{ method: "POST", url: "nope", retry: { attempts: 0 } }}
        problems={[
          { path: "graph.nodes[1].data.url", message: "must be a URL" },
          { path: "graph.nodes[1].data.retry.attempts", message: "must be at least 1" },
        ]}
        onChange={() => {}}
      />,
    );
    const urlField = /<div class="field invalid" data-field="url">.*?<\/div><\/div>/.exec(html)?.[0] ?? "";
    expect(urlField).toContain('value="nope"');
    expect(urlField).toContain("must be a URL");
    expect(urlField).toMatch(/<label for="([^"]+)">Url.*<input id="\1"/);
    expect(html).toContain('data-field="retry.attempts"');
    expect(html).toContain("must be at least 1");
    expect(html).toContain('<option value="POST" selected="">POST</option>');
    expect(html).not.toContain('data-field="method" class="field invalid"');
    expect(renderToStaticMarkup(<SchemaForm fields={[]} data={{}} problems={[]} onChange={() => {}} />)).toContain(
      "no settings",
    );
  });
});
