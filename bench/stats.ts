/**
 * The arithmetic: percentiles of one run's samples, and the median, min and
 * max of a figure over several runs.
 */

/** Median, min and max of one figure over the runs. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** One run's latency distribution. */
export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  /** How many samples they were computed from. */
  count: number;
}

/** The p-th percentile (0–100) of sorted values, interpolating between neighbours. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const below = Math.floor(rank);
  const above = Math.ceil(rank);
  const low = sorted[below] as number;
  const high = sorted[above] as number;
  return low + (high - low) * (rank - below);
}

export function percentiles(samples: readonly number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    count: sorted.length,
  };
}

/** Median (the mean of the middle two for an even count), min and max; NaN values are left out. */
export function spread(values: readonly number[]): Spread {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  return {
    median: percentile(sorted, 50),
    min: sorted[0] as number,
    max: sorted.at(-1) as number,
  };
}

/** The middle value (the upper middle of an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
