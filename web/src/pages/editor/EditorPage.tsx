/**
 * The visual editor: a palette from `nodeTypes`, nodes placed by clicking and
 * dragged into place, edges drawn by dragging from a node's bottom handle to
 * another's top, each node's data in a form generated from its JSON Schema,
 * the trigger as JSONLogic (checked as you type, sample rules to start from),
 * the run settings (cancelOn, timeoutMs, flow control, schedules and runAt)
 * as JSON with what the server refuses shown beside each, live validation
 * (`validateWorkflow`) with every problem shown on the node and field it
 * names, save / update with the version, and a test event. A saved
 * workflow's schedules are watched and driven below (SchedulesPanel).
 */
import {
  addEdge,
  applyEdgeChanges,
  applyNodeChanges,
  Background,
  Controls,
  type Edge,
  type EdgeChange,
  MarkerType,
  type NodeChange,
  ReactFlow,
  type ReactFlowInstance,
} from "@xyflow/react";
import { useCallback, useEffect, useId, useMemo, useState } from "react";
import { useClient, useMutation, useQuery } from "urql";
import { SchemaForm } from "../../components/SchemaForm.tsx";
import { ErrorMessage, Loading } from "../../components/States.tsx";
import { NODE_TYPES, type StepFlowNode } from "../../components/StepNode.tsx";
import { graphql, type VariablesOf } from "../../graphql.ts";
import { branchEdges, type GraphEdge, type GraphNode, readGraph } from "../../lib/graph.ts";
import { inputProblems } from "../../lib/input-problems.ts";
import { layoutGraph } from "../../lib/layout.ts";
import { navigate } from "../../lib/router.ts";
import { fieldsFromSchema, type Problem, parseNodeProblemPath, problemsForNode } from "../../lib/schema-form.ts";
import { ExplainEvent, type Explanation, ExplanationView } from "../events/SendEventPage.tsx";
import {
  NO_SETTINGS,
  parseJsonText,
  readSettings,
  SAMPLE_RULES,
  SettingsFields,
  type SettingTexts,
  settingOfPath,
  settingTexts,
} from "./json-fields.tsx";
import { PauseBanner } from "./PauseBanner.tsx";
import { SchedulesPanel } from "./SchedulesPanel.tsx";

const EditorData = graphql(`
  query EditorData($id: ID!, $withWorkflow: Boolean!) {
    nodeTypes {
      type
      description
      dataSchema
    }
    workflow(id: $id) @include(if: $withWorkflow) {
      id
      name
      description
      isActive
      version
      trigger
      graph
      cancelOn
      timeoutMs
      concurrency {
        key
        limit
        strategy
      }
      rateLimit {
        key
        limit
        mode
        periodMs
      }
      debounce {
        key
        maxDelayMs
        periodMs
        use
      }
      priority
      schedules {
        id
        cron
        timezone
        payload
        overlap
        catchupWindowMs
      }
      runAt {
        id
        at
        payload
      }
    }
  }
`);

const Validate = graphql(`
  query ValidateWorkflow($graph: JSON, $trigger: JSON) {
    validateWorkflow(graph: $graph, trigger: $trigger) {
      valid
      problems {
        path
        message
      }
    }
  }
`);

const Create = graphql(`
  mutation CreateWorkflow($input: WorkflowInput!) {
    createWorkflow(input: $input) {
      id
      version
    }
  }
`);

const Update = graphql(`
  mutation UpdateWorkflow($id: ID!, $input: WorkflowPatch!) {
    updateWorkflow(id: $id, input: $input) {
      id
      version
    }
  }
`);

const VALIDATE_DELAY_MS = 300;

/** The size React Flow measured for a node (kept on the draft's nodes, never saved). */
type Measured = { width?: number; height?: number };

interface Draft {
  name: string;
  description: string;
  isActive: boolean;
  triggerText: string;
  settings: SettingTexts;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

const EMPTY_DRAFT: Draft = {
  name: "",
  description: "",
  isActive: true,
  triggerText: "{}",
  settings: NO_SETTINGS,
  nodes: [{ id: "start", type: "start", data: {}, position: { x: 0, y: 0 } }],
  edges: [],
};

function parseTrigger(text: string): { value: unknown } | { error: string } {
  return parseJsonText(text, {});
}

export function EditorPage({ workflowId }: { workflowId?: string }) {
  const client = useClient();
  const [loaded] = useQuery({
    query: EditorData,
    variables: { id: workflowId ?? "", withWorkflow: workflowId !== undefined },
    requestPolicy: "network-only",
  });
  const [draft, setDraft] = useState<Draft>();
  const [version, setVersion] = useState<number>();
  // Pauses and resumes from this page: the schedules panel reads its entries again after each.
  const [pauseChanges, setPauseChanges] = useState(0);
  const [selectedId, setSelectedId] = useState<string>();
  const [problems, setProblems] = useState<Problem[]>([]);
  const [validating, setValidating] = useState(false);
  const [saveState, create] = useMutation(Create);
  const [updateState, update] = useMutation(Update);
  const [saved, setSaved] = useState<string>();
  // What the server refused at the last save, by path (the run settings show theirs beside them).
  const [refused, setRefused] = useState<Problem[]>([]);
  const [flow, setFlow] = useState<ReactFlowInstance<StepFlowNode>>();
  const ids = { name: useId(), description: useId(), trigger: useId(), active: useId(), payload: useId() };

  // The loaded workflow (or a new draft) becomes the editor's state once.
  useEffect(() => {
    if (draft || !loaded.data) return;
    const workflow = loaded.data.workflow;
    if (!workflow) {
      setDraft(EMPTY_DRAFT);
      return;
    }
    const graph = readGraph(workflow.graph);
    const positions = layoutGraph(graph.nodes, [...graph.edges, ...branchEdges(graph)]);
    setDraft({
      name: workflow.name,
      description: workflow.description ?? "",
      isActive: workflow.isActive,
      triggerText: JSON.stringify(workflow.trigger ?? {}, null, 2),
      settings: settingTexts(workflow),
      nodes: graph.nodes.map((node) => ({ ...node, position: positions.get(node.id) })),
      edges: graph.edges,
    });
    setVersion(workflow.version);
  }, [loaded.data, draft]);

  const trigger = useMemo(() => parseTrigger(draft?.triggerText ?? "{}"), [draft?.triggerText]);
  const graphJson = useMemo(
    () =>
      draft
        ? { nodes: draft.nodes.map(({ selected: _s, measured: _m, ...node }) => node), edges: draft.edges }
        : undefined,
    [draft],
  );

  // Live validation: every change, a moment after typing stops.
  useEffect(() => {
    if (!graphJson) return;
    const timer = setTimeout(async () => {
      setValidating(true);
      const result = await client
        .query(
          Validate,
          { graph: graphJson, trigger: "value" in trigger ? trigger.value : {} },
          { requestPolicy: "network-only" },
        )
        .toPromise();
      setValidating(false);
      if (result.data) setProblems(result.data.validateWorkflow.problems);
    }, VALIDATE_DELAY_MS);
    return () => clearTimeout(timer);
  }, [client, graphJson, trigger]);

  const nodeTypes = loaded.data?.nodeTypes ?? [];
  const schemaByType = useMemo(() => new Map(nodeTypes.map((t) => [t.type, t.dataSchema])), [nodeTypes]);

  const flowNodes = useMemo<StepFlowNode[]>(
    () =>
      (draft?.nodes ?? []).map((node, index) => ({
        id: node.id,
        type: "step",
        position: node.position ?? { x: 0, y: 0 },
        // React Flow shows a node once it knows its size: keep what it measured.
        measured: node.measured as Measured | undefined,
        selected: node.id === selectedId,
        data: {
          nodeId: node.id,
          type: node.type,
          problems: problemsForNode(problems, index).map((p) => {
            const dataPath = parseNodeProblemPath(p.path)?.dataPath;
            return dataPath ? `${dataPath}: ${p.message}` : p.message;
          }),
        },
      })),
    [draft?.nodes, problems, selectedId],
  );
  const flowEdges = useMemo<Edge[]>(
    () => [
      ...(draft?.edges ?? []).map((edge) => ({
        id: edge.id,
        source: edge.source,
        target: edge.target,
        markerEnd: { type: MarkerType.ArrowClosed },
      })),
      // A branch case's `next`, drawn dashed: edited in the branch's form, not on the canvas.
      ...(draft ? branchEdges({ nodes: draft.nodes, edges: draft.edges }) : []).map((edge) => ({
        id: edge.id,
        source: edge.source,
        target: edge.target,
        label: typeof edge.label === "string" ? edge.label : undefined,
        deletable: false,
        style: { strokeDasharray: "5 4" },
        markerEnd: { type: MarkerType.ArrowClosed },
      })),
    ],
    [draft],
  );

  const onNodesChange = useCallback((changes: NodeChange<StepFlowNode>[]) => {
    setDraft((current) => {
      if (!current) return current;
      const flow = applyNodeChanges(
        changes,
        current.nodes.map(
          (node): StepFlowNode => ({
            id: node.id,
            type: "step",
            position: node.position ?? { x: 0, y: 0 },
            measured: node.measured as Measured | undefined,
            data: { nodeId: node.id, type: node.type },
          }),
        ),
      );
      const byId = new Map(flow.map((node) => [node.id, node]));
      const nodes = current.nodes
        .filter((node) => byId.has(node.id))
        .map((node) => {
          const flowNode = byId.get(node.id);
          return { ...node, position: flowNode?.position ?? node.position, measured: flowNode?.measured };
        });
      const edges = current.edges.filter((edge) => byId.has(edge.source) && byId.has(edge.target));
      return { ...current, nodes, edges };
    });
    for (const change of changes) if (change.type === "select" && change.selected) setSelectedId(change.id);
  }, []);

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    setDraft((current) => {
      if (!current) return current;
      const edges = applyEdgeChanges(changes, current.edges as Edge[]) as GraphEdge[];
      return { ...current, edges: edges.map(({ id, source, target }) => ({ id, source, target })) };
    });
  }, []);

  if (loaded.fetching && !loaded.data) return <Loading what="the editor" />;
  if (loaded.error) return <ErrorMessage error={loaded.error} />;
  if (workflowId && loaded.data && !loaded.data.workflow) return <ErrorMessage error={`No workflow ${workflowId}`} />;
  if (!draft) return <Loading what="the editor" />;

  const change = (patch: Partial<Draft>) => {
    setDraft((current) => (current ? { ...current, ...patch } : current));
    setSaved(undefined);
  };
  const addNode = (type: string) => {
    const taken = new Set(draft.nodes.map((node) => node.id));
    let id = type === "start" && !taken.has("start") ? "start" : `${type}_1`;
    for (let n = 2; taken.has(id); n++) id = `${type}_${n}`;
    const lowest = Math.max(-100, ...draft.nodes.map((node) => node.position?.y ?? 0));
    const anchor = draft.nodes.find((node) => node.id === selectedId)?.position;
    change({
      nodes: [...draft.nodes, { id, type, data: {}, position: { x: anchor?.x ?? 0, y: lowest + 100 } }],
    });
    setSelectedId(id);
    // Keep every node in view (after React Flow has measured the new one).
    setTimeout(() => void flow?.fitView({ maxZoom: 1 }), 50);
  };
  const renameNode = (from: string, to: string) => {
    const renamed = (id: string) => (id === from ? to : id);
    change({
      nodes: draft.nodes.map((node) => {
        const next = node.id === from ? { ...node, id: to } : node;
        const cases = next.data.cases;
        if (next.type !== "branch" || !Array.isArray(cases)) return next;
        // A branch names its targets in data: follow the rename there too.
        const followed = cases.map((c: unknown) =>
          typeof c === "object" && c !== null && "next" in c && c.next === from ? { ...c, next: to } : c,
        );
        return { ...next, data: { ...next.data, cases: followed } };
      }),
      edges: draft.edges.map((edge) => ({ ...edge, source: renamed(edge.source), target: renamed(edge.target) })),
    });
    setSelectedId(to);
  };
  const selectedIndex = draft.nodes.findIndex((node) => node.id === selectedId);
  const selectedNode = draft.nodes[selectedIndex];
  const triggerProblems = problems.filter((p) => p.path === "trigger" || p.path.startsWith("trigger"));
  const otherProblems = problems.filter((p) => !p.path.startsWith("trigger") && !parseNodeProblemPath(p.path));
  const saving = saveState.fetching || updateState.fetching;
  const saveError = saveState.error ?? updateState.error;

  const settings = readSettings(draft.settings);
  const settingsInvalid = Object.keys(settings.errors).length > 0;
  const save = async () => {
    if ("error" in trigger || settingsInvalid) return;
    const { concurrency, rateLimit, debounce, schedules, runAt, ...rest } = settings.values;
    const input = {
      name: draft.name,
      description: draft.description || null,
      isActive: draft.isActive,
      trigger: trigger.value,
      graph: graphJson,
      ...rest,
      // Typed inputs in the schema: what the JSON holds is checked by the server, which names the field.
      concurrency: concurrency as VariablesOf<typeof Create>["input"]["concurrency"],
      rateLimit: rateLimit as VariablesOf<typeof Create>["input"]["rateLimit"],
      debounce: debounce as VariablesOf<typeof Create>["input"]["debounce"],
      schedules: schedules as VariablesOf<typeof Create>["input"]["schedules"],
      runAt: runAt as VariablesOf<typeof Create>["input"]["runAt"],
    } as VariablesOf<typeof Create>["input"];
    if (workflowId) {
      const result = await update({ id: workflowId, input });
      setRefused(inputProblems(result.error));
      if (result.data) {
        setVersion(result.data.updateWorkflow.version);
        setSaved(`Saved: version ${result.data.updateWorkflow.version}`);
      }
    } else {
      const result = await create({ input });
      setRefused(inputProblems(result.error));
      if (result.data) navigate(`workflows/${result.data.createWorkflow.id}/edit`);
    }
  };

  return (
    <section aria-labelledby="editor-title" className="editor">
      <div className="title-row">
        <h1 id="editor-title">{workflowId ? draft.name || "Workflow" : "New workflow"}</h1>
        {version !== undefined ? <span className="version">version {version}</span> : null}
        <span className="validity" role="status" data-testid="validity">
          {validating
            ? "checking…"
            : problems.length === 0
              ? "valid"
              : `${problems.length} problem${problems.length === 1 ? "" : "s"}`}
        </span>
        <span className="actions">
          <button
            type="button"
            className="primary"
            disabled={saving || "error" in trigger || settingsInvalid}
            onClick={save}
          >
            {workflowId ? "Save" : "Create"}
          </button>
        </span>
      </div>
      {saved ? (
        <p className="state ok" role="status">
          {saved}
        </p>
      ) : null}
      {saveError ? <ErrorMessage error={saveError} /> : null}
      {workflowId ? <PauseBanner workflowId={workflowId} onChanged={() => setPauseChanges((n) => n + 1)} /> : null}
      <div className="editor-grid">
        <div className="editor-meta">
          <label htmlFor={ids.name}>Name</label>
          <input id={ids.name} value={draft.name} onChange={(e) => change({ name: e.target.value })} />
          <label htmlFor={ids.description}>Description</label>
          <input
            id={ids.description}
            value={draft.description}
            onChange={(e) => change({ description: e.target.value })}
          />
          <label className="inline" htmlFor={ids.active}>
            <input
              id={ids.active}
              type="checkbox"
              checked={draft.isActive}
              onChange={(e) => change({ isActive: e.target.checked })}
            />{" "}
            Active (starts on matching events)
          </label>
          <label htmlFor={ids.trigger}>Trigger (JSONLogic over the event; {"{}"} never matches)</label>
          <textarea
            id={ids.trigger}
            className="code"
            rows={5}
            spellCheck={false}
            value={draft.triggerText}
            aria-invalid={"error" in trigger || triggerProblems.length > 0}
            onChange={(e) => change({ triggerText: e.target.value })}
          />
          <fieldset className="samples">
            <legend>Start the trigger from a sample</legend>
            {SAMPLE_RULES.map(({ label, rule }) => (
              <button
                key={label}
                type="button"
                onClick={() => change({ triggerText: JSON.stringify(rule, null, 2) })}
                title={JSON.stringify(rule)}
              >
                {label}
              </button>
            ))}
            <button
              type="button"
              disabled={"error" in trigger}
              onClick={() => "value" in trigger && change({ triggerText: JSON.stringify(trigger.value, null, 2) })}
            >
              Format
            </button>
          </fieldset>
          {"error" in trigger ? (
            <p className="field-problem" role="alert">
              {trigger.error}
            </p>
          ) : null}
          {triggerProblems.map((p) => (
            <p key={`${p.path}${p.message}`} className="field-problem" role="alert">
              {p.path}: {p.message}
            </p>
          ))}
          <SettingsFields
            texts={draft.settings}
            errors={settings.errors}
            serverProblems={refused}
            onChange={(name, text) => {
              change({ settings: { ...draft.settings, [name]: text } });
              // Refused for the text it had: gone once the text changes.
              setRefused((problems) => problems.filter((p) => settingOfPath(p.path) !== name));
            }}
          />
          <fieldset className="palette">
            <legend>Palette: add a node</legend>
            {nodeTypes.map((t) => (
              <button key={t.type} type="button" title={t.description} onClick={() => addNode(t.type)}>
                + {t.type}
              </button>
            ))}
          </fieldset>
          {otherProblems.length > 0 ? (
            <div className="problems" role="alert">
              <h2>Problems</h2>
              <ul>
                {otherProblems.map((p) => (
                  <li key={`${p.path}${p.message}`}>
                    <code>{p.path}</code>: {p.message}
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          <TestEvent workflowId={workflowId} payloadId={ids.payload} />
        </div>
        <section className="flow editor-flow" aria-label="Workflow canvas">
          <ReactFlow
            nodes={flowNodes}
            edges={flowEdges}
            nodeTypes={NODE_TYPES}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={(connection) =>
              setDraft((current) => {
                if (!current) return current;
                const taken = new Set(current.edges.map((edge) => edge.id));
                let n = current.edges.length + 1;
                while (taken.has(`e${n}`)) n++;
                const edges = addEdge({ ...connection, id: `e${n}` }, current.edges as Edge[]) as GraphEdge[];
                return { ...current, edges: edges.map(({ id, source, target }) => ({ id, source, target })) };
              })
            }
            onInit={setFlow}
            onPaneClick={() => setSelectedId(undefined)}
            deleteKeyCode={["Delete", "Backspace"]}
            fitView
            fitViewOptions={{ maxZoom: 1 }}
            proOptions={{ hideAttribution: true }}
          >
            <Background />
            <Controls />
          </ReactFlow>
        </section>
        <aside className="node-panel" aria-label="Node settings">
          {selectedNode ? (
            <>
              <h2>
                <code>{selectedNode.id}</code> <span className="subtle">{selectedNode.type}</span>
              </h2>
              <NodeIdInput
                key={selectedNode.id}
                id={selectedNode.id}
                taken={(id) => draft.nodes.some((node) => node.id === id)}
                onRename={(to) => renameNode(selectedNode.id, to)}
              />
              <SchemaForm
                fields={fieldsFromSchema(schemaByType.get(selectedNode.type))}
                data={selectedNode.data}
                problems={problemsForNode(problems, selectedIndex)}
                onChange={(data) =>
                  change({ nodes: draft.nodes.map((node, i) => (i === selectedIndex ? { ...node, data } : node)) })
                }
              />
              <button
                type="button"
                onClick={() => {
                  change({
                    nodes: draft.nodes.filter((node) => node.id !== selectedNode.id),
                    edges: draft.edges.filter((e) => e.source !== selectedNode.id && e.target !== selectedNode.id),
                  });
                  setSelectedId(undefined);
                }}
              >
                Delete node
              </button>
            </>
          ) : (
            <p className="subtle">
              Select a node to edit its settings. Add nodes from the palette; drag from a node's bottom handle to
              another node to connect them.
            </p>
          )}
        </aside>
      </div>
      {workflowId ? <SchedulesPanel workflowId={workflowId} refreshKey={`${version}:${pauseChanges}`} /> : null}
    </section>
  );
}

/** What an event would do (explainEvent): start, resume, cancel; this workflow's unsaved changes do not count. */
function TestEvent({ workflowId, payloadId }: { workflowId?: string; payloadId: string }) {
  const client = useClient();
  const [text, setText] = useState("{}");
  const [result, setResult] = useState<{ explanation: Explanation } | { error: string }>();
  return (
    <div className="test-event">
      <h2>Test an event</h2>
      <label htmlFor={payloadId}>Event payload (JSON)</label>
      <textarea
        id={payloadId}
        className="code"
        rows={4}
        spellCheck={false}
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <button
        type="button"
        onClick={async () => {
          let payload: unknown;
          try {
            payload = JSON.parse(text);
          } catch {
            setResult({ error: "The payload is not valid JSON" });
            return;
          }
          const response = await client.query(ExplainEvent, { payload }, { requestPolicy: "network-only" }).toPromise();
          if (response.error || !response.data) setResult({ error: response.error?.message ?? "No answer" });
          else setResult({ explanation: response.data.explainEvent });
        }}
      >
        Test event
      </button>
      {result && "error" in result ? <ErrorMessage error={result.error} /> : null}
      {result && "explanation" in result ? (
        <div role="status" data-testid="test-event-result">
          {workflowId ? (
            <p>
              {result.explanation.starts.some((w) => w.id === workflowId)
                ? "Starts this workflow (as saved)."
                : "Does not start this workflow (as saved)."}
            </p>
          ) : null}
          <ExplanationView explanation={result.explanation} />
        </div>
      ) : null}
    </div>
  );
}

/** A node's id, renamed when the field is left or Enter pressed (edges and branch cases follow). */
function NodeIdInput({ id, taken, onRename }: { id: string; taken(id: string): boolean; onRename(to: string): void }) {
  const inputId = useId();
  const [text, setText] = useState(id);
  const [error, setError] = useState<string>();
  const commit = () => {
    const to = text.trim();
    if (to === id) return setError(undefined);
    if (to === "") return setError("an id is required");
    if (taken(to)) return setError(`another node is already ${to}`);
    setError(undefined);
    onRename(to);
  };
  return (
    <div className={`field${error ? " invalid" : ""}`}>
      <label htmlFor={inputId}>Node id</label>
      <input
        id={inputId}
        value={text}
        aria-invalid={error !== undefined}
        aria-describedby={error ? `${inputId}-error` : undefined}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === "Enter") commit();
        }}
      />
      {error ? (
        <span id={`${inputId}-error`} className="field-problem" role="alert">
          {error}
        </span>
      ) : null}
    </div>
  );
}
