/** Snapshots of the built-in prototypes, to assert that a property run wrote nothing to them. */
import { afterAll, beforeAll, expect } from "vitest";

const WATCHED = {
  Object: Object.prototype,
  Array: Array.prototype,
  Function: Function.prototype,
  String: String.prototype,
};

export function snapshotPrototypes(): Record<string, Map<string | symbol, unknown>> {
  return Object.fromEntries(
    Object.entries(WATCHED).map(([name, proto]) => [
      name,
      new Map(Reflect.ownKeys(proto).map((k) => [k, Object.getOwnPropertyDescriptor(proto, k)?.value])),
    ]),
  );
}

export function expectPrototypesUntouched(before: Record<string, Map<string | symbol, unknown>>): void {
  const after = snapshotPrototypes();
  for (const [name, properties] of Object.entries(before)) {
    expect([...(after[name]?.keys() ?? [])].map(String).sort(), `${name}.prototype keys`).toEqual(
      [...properties.keys()].map(String).sort(),
    );
    for (const [k, value] of properties) expect(after[name]?.get(k), `${name}.prototype.${String(k)}`).toBe(value);
  }
  const probe = {} as Record<string, unknown>;
  expect(probe.polluted).toBeUndefined();
  expect(probe.isAdmin).toBeUndefined();
}

/** Registers, for the calling test file, a snapshot before its tests and the check after them. */
export function watchPrototypes(): void {
  let before: ReturnType<typeof snapshotPrototypes>;
  beforeAll(() => {
    before = snapshotPrototypes();
  });
  afterAll(() => {
    expectPrototypesUntouched(before);
  });
}
