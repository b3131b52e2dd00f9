/**
 * The line that says what the bench is doing. On a terminal it rewrites one
 * line on stderr; elsewhere (CI logs) it prints one line per step.
 */
const started = performance.now();
const tty = process.stderr.isTTY === true;

export function progress(message: string): void {
  const elapsed = `${((performance.now() - started) / 1000).toFixed(0)}s`.padStart(4);
  if (tty) process.stderr.write(`\r\x1b[K[${elapsed}] ${message}`);
  else process.stderr.write(`[${elapsed}] ${message}\n`);
}

/** Clears the progress line before the table is printed. */
export function clearProgress(): void {
  if (tty) process.stderr.write("\r\x1b[K");
}

export function elapsedSeconds(): number {
  return (performance.now() - started) / 1000;
}
