/**
 * Which database errors a step's record can never get past (permanentWriteError):
 * real PostgreSQL errors, as node-postgres raises them (the engine's SQL in
 * production) and as Prisma's driver adapters wrap them (the APIs, and the
 * engine's SQL in embedded mode on PGlite).
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, type Database } from "../../src/db/database.js";
import { permanentWriteError } from "../../src/db/errors.js";
import { type EmbeddedDatabase, openEmbeddedDatabase } from "../../src/db/pglite-db.js";
import type { SqlDb } from "../../src/db/sql.js";
import { prismaSqlDb } from "../../src/db/sql.js";
import { Prisma } from "../../src/generated/prisma/client.js";
import { useTestDatabase } from "../support/database.js";

const database = useTestDatabase();
let postgres: Database;
let pglite: EmbeddedDatabase;

beforeAll(async () => {
  postgres = createDatabase(database.url, { poolSize: 2, connectRetryMs: 0 });
  pglite = await openEmbeddedDatabase("memory://");
});

afterAll(async () => {
  await postgres?.close();
  await pglite?.close();
});

/** What running `statements` in one transaction threw. */
async function errorOf(sql: SqlDb, ...statements: Prisma.Sql[]): Promise<unknown> {
  try {
    await sql.transaction(async (tx) => {
      for (const statement of statements) await tx.query(statement);
    });
  } catch (error) {
    return error;
  }
  throw new Error("the statements succeeded");
}

/** Text PostgreSQL cannot compress, so its size in an index is its length. */
const incompressible = (chars: number) => randomBytes(chars).toString("base64").slice(0, chars);

const ways = () =>
  [
    ["node-postgres", postgres.sql],
    ["Prisma on PostgreSQL", prismaSqlDb(postgres.db)],
    ["Prisma on PGlite", prismaSqlDb(pglite.db)],
  ] as const;

describe("permanentWriteError", () => {
  it("recognises errors the same data meets on every try, with PostgreSQL's message and SQLSTATE", async () => {
    for (const [way, sql] of ways()) {
      const btree = await errorOf(
        sql,
        Prisma.sql`CREATE TEMP TABLE roles (role text) ON COMMIT DROP`,
        Prisma.sql`CREATE INDEX ON roles (role)`,
        Prisma.sql`INSERT INTO roles VALUES (${incompressible(3400)}) RETURNING 1`,
      );
      expect(permanentWriteError(btree), way).toMatch(
        /^index row size \d+ exceeds (btree version \d )?maximum \d+ for index .* \(SQLSTATE 54000\)$/,
      );
      const nulInJsonb = await errorOf(sql, Prisma.sql`SELECT ${'{"a":"\\u0000"}'}::jsonb`);
      expect(permanentWriteError(nulInJsonb), way).toMatch(/unsupported Unicode escape sequence.*\(SQLSTATE 22P05\)$/);
      const tooLong = await errorOf(
        sql,
        Prisma.sql`CREATE TEMP TABLE short (code varchar(2)) ON COMMIT DROP`,
        Prisma.sql`INSERT INTO short VALUES (${"abc"}) RETURNING 1`,
      );
      expect(permanentWriteError(tooLong), way).toMatch(/too long.*\(SQLSTATE 22001\)$/);
    }
    const nulInText = await errorOf(postgres.sql, Prisma.sql`SELECT ${"a\u0000b"}::text`);
    expect(permanentWriteError(nulInText)).toMatch(
      /invalid byte sequence for encoding "UTF8": 0x00 \(SQLSTATE 22021\)$/,
    );
  });

  it("recognises a statement JavaScript could not build", () => {
    expect(permanentWriteError(new RangeError("Invalid string length"))).toBe(
      "the statement could not be built: Invalid string length",
    );
  });

  it("leaves errors another try may get past to the job's retries", async () => {
    for (const [way, sql] of ways()) {
      const duplicate = await errorOf(
        sql,
        Prisma.sql`CREATE TEMP TABLE once (id int PRIMARY KEY) ON COMMIT DROP`,
        Prisma.sql`INSERT INTO once VALUES (1), (1) RETURNING 1`,
      );
      expect(permanentWriteError(duplicate), way).toBeUndefined();
      const missingTable = await errorOf(sql, Prisma.sql`SELECT * FROM "NotMigratedYet"`);
      expect(permanentWriteError(missingTable), way).toBeUndefined();
    }
    const unreachable = createDatabase("postgresql://postgres@127.0.0.1:1/test", { poolSize: 1, connectRetryMs: 0 });
    try {
      expect(permanentWriteError(await errorOf(unreachable.sql, Prisma.sql`SELECT 1`))).toBeUndefined();
    } finally {
      await unreachable.close();
    }
    expect(permanentWriteError(new Error("Connection terminated unexpectedly"))).toBeUndefined();
  });
});
