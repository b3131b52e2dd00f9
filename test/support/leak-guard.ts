/**
 * Fails a test file that leaves a socket, server or child process open (an
 * unclosed database pool, Redis connection, BullMQ worker or HTTP server).
 * Loaded as a setup file, so its afterAll runs after the file's own hooks.
 */
import { afterAll } from "vitest";

const WATCHED = ["TCPSocketWrap", "TCPServerWrap", "PipeWrap", "ProcessWrap", "TLSWrap"];
const GRACE_MS = 3000;

function openResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of process.getActiveResourcesInfo()) {
    if (WATCHED.includes(name)) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

function leaksSince(baseline: Map<string, number>): string[] {
  const leaks: string[] = [];
  for (const [name, count] of openResources()) {
    const extra = count - (baseline.get(name) ?? 0);
    if (extra > 0) leaks.push(`${extra} × ${name}`);
  }
  return leaks;
}

// Taken when this setup file loads, before the test file is imported, so
// connections a test file opens at its top level count too.
const baseline = openResources();

afterAll(async () => {
  // Closing sockets finish on a later tick; wait for them before judging.
  const deadline = Date.now() + GRACE_MS;
  let leaks = leaksSince(baseline);
  while (leaks.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    leaks = leaksSince(baseline);
  }
  if (leaks.length > 0) {
    throw new Error(
      `test file left resources open: ${leaks.join(", ")}. Close every pool, worker, connection and server.`,
    );
  }
});
