/**
 * Execution search (GraphQL `executions`): `--search-rows N` executions (1,000,000; 20,000 with
 * `--quick`) generated straight into PostgreSQL by `INSERT … SELECT generate_series` (no engine
 * involved) over four workflows of unequal size, statuses mixed, createdAt spread over the last 30
 * days, payloads shaped like events (`{"customer": {"id": "c-<n mod 20000>", "tier": …},
 * "order": {…}, "source": "web" | "mobile" | "api"}`), then ANALYZE. Then the first page (first: 25)
 * of six searches is timed over POST /graphql, as an operator's console would send it: after a
 * warm-up, `SAMPLES` queries each per run; and pages 2–20 of a walk with `after`. Beside them, the
 * SELECT of containingPageIds (src/services/execution-search.ts) alone, through pg as a named
 * prepared statement as the engine sends it, so the GraphQL and Prisma overhead shows; its plan is
 * noted. The rows go with the bench's database; this section runs last so no other waits on them.
 */
import os from "node:os";
import type pg from "pg";
import { type EngineContext, repeat } from "./context.js";
import { progress } from "./progress.js";
import { type Percentiles, percentiles } from "./stats.js";

const SECTION = "Execution search (GraphQL executions, first: 25)";
const PAGE = 25;
/** Customers the payloads are spread over: each has rows / 20,000 executions (50 at a million). */
const CUSTOMERS = 20_000;
/** Pages walked with `after` (the first one included). */
const WALK_PAGES = 20;
const DAY_MS = 86_400_000;
/** Rows per INSERT statement (progress between them). */
const CHUNK = 250_000;
/** Share of the rows per workflow: the search's workflows are of unequal size. */
const WORKFLOW_SHARES = [0.4, 0.3, 0.2, 0.1];

interface Search {
  label: string;
  variables: Record<string, unknown>;
}

const FIELDS = `edges { node { id workflowId status createdAt payload } } pageInfo { hasNextPage endCursor }`;
const QUERY = `query ($workflowId: ID, $status: ExecutionStatus, $from: DateTime, $to: DateTime, $payloadContains: JSON, $first: Int, $after: String) {
  executions(workflowId: $workflowId, status: $status, from: $from, to: $to, payloadContains: $payloadContains, first: $first, after: $after) { ${FIELDS} }
}`;

export async function measureSearch(ctx: EngineContext): Promise<void> {
  const rows = ctx.options.searchRows;
  const quick = ctx.options.quick;
  const samples = quick ? 20 : 50;
  const warmup = quick ? 5 : 10;
  const walks = quick ? 1 : 5;
  const load = [os.loadavg()];
  const pool = ctx.database.pool;

  const generated = await generate(pool, rows);
  load.push(os.loadavg());
  // (b) on the 30 % workflow, (d) on the 10 % one.
  const [, second, , smallest] = generated.workflowIds;
  const now = Date.now();
  const searches: Search[] = [
    { label: "(a) unfiltered", variables: {} },
    { label: "(b) workflowId + status FAILED", variables: { workflowId: second, status: "FAILED" } },
    {
      label: '(c) payloadContains {customer: {id: "c-123"}}',
      variables: { payloadContains: { customer: { id: "c-123" } } },
    },
    {
      label: '(d) payloadContains {source: "web"} + workflowId (10 %)',
      variables: { payloadContains: { source: "web" }, workflowId: smallest },
    },
    {
      label: "(e) from/to, one day (10 days ago)",
      variables: { from: new Date(now - 11 * DAY_MS).toISOString(), to: new Date(now - 10 * DAY_MS).toISOString() },
    },
  ];
  const graphql = new GraphqlClient(`${ctx.fleet.serverUrl}/graphql`);
  const found: string[] = [];
  for (const search of searches) {
    const first = await graphql.page({ ...search.variables, first: PAGE });
    found.push(`${search.label.slice(0, 3)} ${first.count}${first.hasNextPage ? "+" : ""}`);
    for (let i = 0; i < warmup; i++) await graphql.page({ ...search.variables, first: PAGE });
    const runs = await repeat(ctx, `search: ${search.label}`, async () => {
      const ms: number[] = [];
      for (let i = 0; i < samples; i++) ms.push((await graphql.page({ ...search.variables, first: PAGE })).ms);
      return percentiles(ms);
    });
    ctx.report.latency(SECTION, `${search.label}, first page`, runs);
  }

  // (f) Deep pages: walk (d) with `after`, each page timed.
  const deep = searches[3] as Search;
  const walkRuns: Percentiles[] = [];
  const lastPage: number[] = [];
  let walked = 0;
  await walk(graphql, deep.variables); // warm-up
  const walkRunsRaw = await repeat(ctx, `search: walking ${WALK_PAGES} pages of (d)`, async () => {
    const ms: number[] = [];
    for (let w = 0; w < walks; w++) {
      const pages = await walk(graphql, deep.variables);
      walked = pages.length;
      ms.push(...pages.slice(1));
      lastPage.push(pages.at(-1) ?? Number.NaN);
    }
    return percentiles(ms);
  });
  walkRuns.push(...walkRunsRaw);
  ctx.report.latency(SECTION, `(f) (d) pages 2–${WALK_PAGES} with after`, walkRuns);
  ctx.report.latency(SECTION, `(f) (d) page ${WALK_PAGES} alone`, [percentiles(lastPage)]);

  // The SELECT of containingPageIds alone, through pg, as the engine sends it (a named prepared statement).
  const cursor = await cursorAfter(graphql, deep.variables, WALK_PAGES - 1);
  const sqlOnly: { label: string; search: Record<string, unknown>; cursor?: { createdAt: string; id: string } }[] = [
    { label: "(c) SQL only: containingPageIds' SELECT", search: { payloadContains: { customer: { id: "c-123" } } } },
    { label: "(d) SQL only: containingPageIds' SELECT", search: deep.variables },
    ...(cursor ? [{ label: `(d) SQL only, page ${WALK_PAGES} (keyset cursor)`, search: deep.variables, cursor }] : []),
  ];
  const plans: string[] = [];
  for (const q of sqlOnly) {
    const statement = containingSelect(q.search, q.cursor);
    for (let i = 0; i < warmup; i++) await pool.query(statement);
    const runs = await repeat(ctx, `search: ${q.label}`, async () => {
      const ms: number[] = [];
      for (let i = 0; i < samples; i++) {
        const began = performance.now();
        await pool.query(statement);
        ms.push(performance.now() - began);
      }
      return percentiles(ms);
    });
    ctx.report.latency(SECTION, q.label, runs);
    const name = `${q.label.slice(0, 3)}${q.cursor ? ` page ${WALK_PAGES}` : ""}`;
    plans.push(`${name} custom plan: ${await explain(pool, statement, false)}`);
    plans.push(`${name} generic plan: ${await explain(pool, statement, true)}`);
  }
  load.push(os.loadavg());

  ctx.report.note(
    `search: ${generated.rows.toLocaleString("en")} generated executions over ${generated.workflowIds.length} workflows ` +
      `(${WORKFLOW_SHARES.map((s) => `${s * 100} %`).join(", ")}) in ${(generated.ms / 1000).toFixed(1)} s ` +
      `(inserts ${(generated.insertMs / 1000).toFixed(1)} s, ANALYZE ${(generated.analyzeMs / 1000).toFixed(1)} s); ` +
      `Execution ${generated.tableSize}, its payload GIN index ${generated.ginSize}; ` +
      `${samples} queries per figure and run after ${warmup} unmeasured; (f): ${walks} walk(s) of ${walked} pages per run`,
  );
  ctx.report.note(`search, rows on the first page: ${found.join(", ")} (+: more pages)`);
  ctx.report.note(`search, plans of containingPageIds' SELECT (EXPLAIN (ANALYZE, BUFFERS)): ${plans.join(" | ")}`);
  ctx.report.note(
    `search, load average (1, 5, 15 min) before generating · before timing · after: ${load
      .map((l) => l.map((x) => x.toFixed(2)).join(" "))
      .join(" · ")} (${os.cpus().length} CPUs)`,
  );
}

interface Generated {
  rows: number;
  workflowIds: string[];
  ms: number;
  insertMs: number;
  analyzeMs: number;
  tableSize: string;
  ginSize: string;
}

/** Workflows (each with its version 1) and `rows` executions, by generate_series in chunks; then ANALYZE. */
async function generate(pool: pg.Pool, rows: number): Promise<Generated> {
  const began = performance.now();
  const workflowIds: string[] = [];
  for (let w = 0; w < WORKFLOW_SHARES.length; w++) {
    const { rows: created } = await pool.query<{ id: string }>(
      `INSERT INTO "Workflow" (id, name, graph, "isActive", "updatedAt")
       VALUES (gen_random_uuid()::text, $1, $2::jsonb, false, now() AT TIME ZONE 'UTC') RETURNING id`,
      [`bench: search ${w + 1}`, JSON.stringify({ nodes: [{ id: "start", type: "start" }], edges: [] })],
    );
    const id = created[0]?.id as string;
    await pool.query(
      `INSERT INTO "WorkflowVersion" (id, "workflowId", version, name, graph)
       SELECT gen_random_uuid()::text, id, 1, name, graph FROM "Workflow" WHERE id = $1`,
      [id],
    );
    workflowIds.push(id);
  }
  // Cumulative shares: a row's workflow is the first whose bound its (deterministic) fraction is under.
  const bounds: number[] = [];
  WORKFLOW_SHARES.reduce((sum, share) => {
    bounds.push(sum + share);
    return sum + share;
  }, 0);
  const workflowCase = `CASE ${bounds
    .slice(0, -1)
    .map((b, i) => `WHEN r.w < ${b} THEN $${i + 4}`)
    .join(" ")} ELSE $${bounds.length + 3} END`;
  const insertBegan = performance.now();
  for (let from = 0; from < rows; from += CHUNK) {
    const to = Math.min(rows, from + CHUNK);
    progress(
      `search: generating executions ${from.toLocaleString("en")}–${to.toLocaleString("en")} of ${rows.toLocaleString("en")}`,
    );
    // random() per row, seeded per chunk: the same rows every run. $3: now, in UTC as the columns hold it.
    const client = await pool.connect();
    try {
      await client.query("SELECT setseed($1)", [from / rows / 2]);
      await client.query(
        `INSERT INTO "Execution" (id, "workflowId", "workflowVersion", status, payload, seq, "createdAt", "startedAt", "finishedAt")
         SELECT gen_random_uuid()::text, ${workflowCase}, 1, r.status::"ExecutionStatus",
           jsonb_build_object(
             'customer', jsonb_build_object('id', 'c-' || (r.n % ${CUSTOMERS}), 'tier', (ARRAY['bronze', 'silver', 'gold'])[1 + r.n % 7 % 3]),
             'order', jsonb_build_object('id', 'o-' || r.n, 'total', round((r.total * 500)::numeric, 2), 'items', 1 + r.n % 5, 'currency', 'EUR'),
             'source', (ARRAY['web', 'mobile', 'api'])[1 + floor(r.src * 3)::int]),
           3, r.created, r.created + interval '5 milliseconds',
           CASE WHEN r.status IN ('PENDING', 'RUNNING') THEN NULL ELSE r.created + interval '200 milliseconds' END
         FROM (
           SELECT n, w, src, total, created,
             CASE WHEN s < 0.80 THEN 'SUCCEEDED' WHEN s < 0.90 THEN 'FAILED' WHEN s < 0.93 THEN 'CANCELLED'
                  WHEN s < 0.95 THEN 'RUNNING' WHEN s < 0.97 THEN 'PENDING' ELSE 'SKIPPED' END AS status
           FROM (
             SELECT g AS n, random() AS w, random() AS src, random() AS total, random() AS s,
               ($3::timestamp - (random() * interval '30 days'))::timestamp(3) AS created
             FROM generate_series($1::int, $2::int - 1) AS g
           ) AS v
         ) AS r`,
        [from, to, new Date().toISOString().replace("T", " ").replace("Z", ""), ...workflowIds],
      );
    } finally {
      client.release();
    }
  }
  const insertMs = performance.now() - insertBegan;
  progress("search: ANALYZE");
  const analyzeBegan = performance.now();
  await pool.query(`ANALYZE "Execution"`);
  await pool.query(`ANALYZE "Workflow"`);
  const analyzeMs = performance.now() - analyzeBegan;
  const { rows: sizes } = await pool.query<{ table: string; gin: string }>(
    `SELECT pg_size_pretty(pg_relation_size('"Execution"')) AS table,
            pg_size_pretty(pg_relation_size('"Execution_payload_idx"')) AS gin`,
  );
  return {
    rows,
    workflowIds,
    ms: performance.now() - began,
    insertMs,
    analyzeMs,
    tableSize: sizes[0]?.table ?? "?",
    ginSize: sizes[0]?.gin ?? "?",
  };
}

/** Times each of up to WALK_PAGES pages of a search, following `after`. */
async function walk(graphql: GraphqlClient, variables: Record<string, unknown>): Promise<number[]> {
  const ms: number[] = [];
  let after: string | undefined;
  for (let page = 0; page < WALK_PAGES; page++) {
    const result = await graphql.page({ ...variables, first: PAGE, ...(after ? { after } : {}) });
    ms.push(result.ms);
    if (!result.hasNextPage || !result.endCursor) break;
    after = result.endCursor;
  }
  return ms;
}

/** The last row of page `pages` of a search (its createdAt and id): the keyset cursor of the page after it. */
async function cursorAfter(
  graphql: GraphqlClient,
  variables: Record<string, unknown>,
  pages: number,
): Promise<{ createdAt: string; id: string } | undefined> {
  let after: string | undefined;
  let last: { createdAt: string; id: string } | undefined;
  for (let page = 0; page < pages; page++) {
    const result = await graphql.page({ ...variables, first: PAGE, ...(after ? { after } : {}) });
    last = result.last;
    if (!result.hasNextPage || !result.endCursor) return undefined;
    after = result.endCursor;
  }
  return last;
}

/**
 * containingPageIds' SELECT as it reaches PostgreSQL (the first page, or the page from a cursor),
 * as a named prepared statement like the engine's (src/db/pg-sql.ts).
 */
function containingSelect(search: Record<string, unknown>, cursor?: { createdAt: string; id: string }): pg.QueryConfig {
  const values: unknown[] = [JSON.stringify(search.payloadContains)];
  const conditions = ["payload @> $1::jsonb"];
  if (search.workflowId) {
    values.push(search.workflowId);
    conditions.push(`"workflowId" = $${values.length}`);
  }
  if (cursor) {
    values.push(utc(cursor.createdAt), cursor.id);
    conditions.push(`("createdAt", id) <= ($${values.length - 1}::timestamp(3), $${values.length})`);
  }
  values.push(PAGE + 1);
  const text = `SELECT id FROM "Execution" WHERE ${conditions.join(" AND ")} ORDER BY "createdAt" DESC, id DESC LIMIT $${values.length}`;
  return { name: `bench_search_${conditions.length}_${search.workflowId ? "w" : ""}`, text, values };
}

/** The plan's nodes, outermost first, with the execution time, from EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON). */
async function explain(pool: pg.Pool, statement: pg.QueryConfig, generic: boolean): Promise<string> {
  const client = await pool.connect();
  let rows: { "QUERY PLAN": [{ Plan: PlanNode; "Execution Time": number }] }[];
  try {
    await client.query("BEGIN");
    // A named statement runs custom plans 5 times, then the generic one if it is not costlier: show both.
    await client.query(`SET LOCAL plan_cache_mode = ${generic ? "force_generic_plan" : "force_custom_plan"}`);
    ({ rows } = await client.query({
      text: `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${statement.text}`,
      values: statement.values ?? [],
    }));
    await client.query("COMMIT");
  } finally {
    client.release();
  }
  const top = rows[0]?.["QUERY PLAN"][0];
  if (!top) return "?";
  const nodes: string[] = [];
  const visit = (node: PlanNode) => {
    const name = [node["Node Type"], node["Index Name"] ?? ""].join(" ").trim();
    const hits = node["Shared Hit Blocks"] + node["Shared Read Blocks"];
    nodes.push(
      `${name} (rows ${node["Actual Rows"]}${node["Rows Removed by Filter"] ? `, filtered ${node["Rows Removed by Filter"]}` : ""}, buffers ${hits})`,
    );
    for (const child of node.Plans ?? []) visit(child);
  };
  visit(top.Plan);
  return `${nodes.join(" → ")}; ${top["Execution Time"].toFixed(2)} ms`;
}

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Actual Rows": number;
  "Rows Removed by Filter"?: number;
  "Shared Hit Blocks": number;
  "Shared Read Blocks": number;
  Plans?: PlanNode[];
}

/** An ISO instant as the timestamp(3) columns hold it (UTC, no zone). */
const utc = (iso: string) => iso.replace("T", " ").replace("Z", "");

interface Page {
  ms: number;
  count: number;
  hasNextPage: boolean;
  endCursor: string | null;
  last?: { createdAt: string; id: string };
}

/** POST /graphql, as a client sends it; the time from sending to the parsed answer. */
class GraphqlClient {
  constructor(private readonly url: string) {}

  async page(variables: Record<string, unknown>): Promise<Page> {
    const began = performance.now();
    const response = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: QUERY, variables }),
      signal: AbortSignal.timeout(60_000),
    });
    const body = (await response.json()) as {
      data?: {
        executions: {
          edges: { node: { id: string; createdAt: string } }[];
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
        };
      };
      errors?: { message: string }[];
    };
    const ms = performance.now() - began;
    if (!response.ok || body.errors?.length || !body.data) {
      throw new Error(`GraphQL executions: ${response.status} ${JSON.stringify(body.errors ?? body).slice(0, 500)}`);
    }
    const { edges, pageInfo } = body.data.executions;
    const last = edges.at(-1)?.node;
    return {
      ms,
      count: edges.length,
      hasNextPage: pageInfo.hasNextPage,
      endCursor: pageInfo.endCursor,
      ...(last ? { last: { createdAt: last.createdAt, id: last.id } } : {}),
    };
  }
}
