/**
 * Optional API keys (API_KEYS, comma-separated). Keys are kept only as SHA-256
 * digests, and a presented key is compared against each in constant time, so
 * neither memory dumps nor response timing give keys away.
 */
import { createHash, timingSafeEqual } from "node:crypto";

const digest = (key: string) => createHash("sha256").update(key, "utf8").digest();

export class ApiKeys {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** True when keys are off, or the value is `Bearer <a configured key>`. */
  allows(authorization: string | undefined | null): boolean {
    if (!this.enabled) return true;
    const match = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? "");
    if (!match) return false;
    const presented = digest(match[1] as string);
    // Check every key, always: the time taken does not depend on which one matched.
    let ok = false;
    for (const known of this.digests) ok = timingSafeEqual(known, presented) || ok;
    return ok;
  }
}
