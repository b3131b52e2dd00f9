/**
 * Collects the figures, prints them as a table and writes them as JSON. A
 * throughput or memory figure is one number per run; a latency figure is one
 * set of percentiles per run. Either way the table shows the median over the
 * runs with the min and max.
 */
import { writeFileSync } from "node:fs";
import { type Percentiles, type Spread, spread } from "./stats.js";

export interface ValueFigure extends Spread {
  kind: "value";
  section: string;
  name: string;
  unit: string;
  runs: number[];
}

export interface LatencyFigure {
  kind: "latency";
  section: string;
  name: string;
  unit: "ms";
  runs: Percentiles[];
  p50: Spread;
  p95: Spread;
  p99: Spread;
}

export type Figure = ValueFigure | LatencyFigure;

export class Report {
  readonly figures: Figure[] = [];
  /** How things were measured in this run (connections used, failures seen, what was skipped). */
  readonly notes: string[] = [];

  value(section: string, name: string, unit: string, runs: number[]): void {
    this.figures.push({ kind: "value", section, name, unit, runs, ...spread(runs) });
  }

  latency(section: string, name: string, runs: Percentiles[]): void {
    this.figures.push({
      kind: "latency",
      section,
      name,
      unit: "ms",
      runs,
      p50: spread(runs.map((r) => r.p50)),
      p95: spread(runs.map((r) => r.p95)),
      p99: spread(runs.map((r) => r.p99)),
    });
  }

  note(text: string): void {
    this.notes.push(text);
  }

  /** The whole table, ready to print. */
  table(): string {
    const values = this.figures.filter((f): f is ValueFigure => f.kind === "value");
    const latencies = this.figures.filter((f): f is LatencyFigure => f.kind === "latency");
    // Section titles stand on their own lines: only the indented figure names set the column.
    const width = Math.max(44, ...this.figures.map((f) => f.name.length + 2));
    const lines: string[] = [];
    if (values.length > 0) {
      lines.push(
        `${"median of the runs (min, max)".padEnd(width)}  ${pad("median")}  ${pad("min")}  ${pad("max")}  unit`,
      );
      for (const [section, figures] of bySection(values)) {
        lines.push(section);
        for (const f of figures) {
          lines.push(
            `  ${f.name.padEnd(width - 2)}  ${pad(num(f.median))}  ${pad(num(f.min))}  ${pad(num(f.max))}  ${f.unit}`,
          );
        }
      }
    }
    if (latencies.length > 0) {
      if (lines.length > 0) lines.push("");
      const cell = 22;
      lines.push(
        `${"latency, ms: median of the runs (min–max)".padEnd(width)}  ${"p50".padStart(cell)}  ${"p95".padStart(cell)}  ${"p99".padStart(cell)}  samples/run`,
      );
      for (const [section, figures] of bySection(latencies)) {
        lines.push(section);
        for (const f of figures) {
          const samples = spread(f.runs.map((r) => r.count));
          const cells = [f.p50, f.p95, f.p99].map((s) => spreadCell(s).padStart(cell)).join("  ");
          lines.push(`  ${f.name.padEnd(width - 2)}  ${cells}  ${num(samples.median)}`);
        }
      }
    }
    if (this.notes.length > 0) {
      lines.push("", "notes:");
      for (const note of this.notes) lines.push(`  - ${note}`);
    }
    return lines.join("\n");
  }

  write(file: string, meta: Record<string, unknown>): void {
    writeFileSync(file, `${JSON.stringify({ ...meta, figures: this.figures, notes: this.notes }, null, 2)}\n`);
  }
}

function bySection<T extends Figure>(figures: T[]): Map<string, T[]> {
  const sections = new Map<string, T[]>();
  for (const f of figures) sections.set(f.section, [...(sections.get(f.section) ?? []), f]);
  return sections;
}

const pad = (text: string) => text.padStart(10);

/** About three significant digits: 12345, 123, 12.3, 1.23, 0.0123. */
function num(value: number): string {
  if (Number.isNaN(value)) return "–";
  const abs = Math.abs(value);
  if (abs > 0 && abs < 1) return value.toPrecision(3);
  return value.toFixed(abs >= 100 ? 0 : abs >= 10 ? 1 : 2);
}

function spreadCell(s: Spread): string {
  return s.min === s.max ? num(s.median) : `${num(s.median)} (${num(s.min)}–${num(s.max)})`;
}
