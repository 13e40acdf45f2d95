import { createHash } from 'node:crypto';

/** What a column is, as the catalog says: its type as the engine spells it, and its default as the engine stores it. */
export interface ColumnShape {
  type: string;
  nullable: boolean;
  default: string | null;
  /** `always` / `by default` (PostgreSQL), `identity(seed,increment)` (SQL Server); null for none. */
  identity: string | null;
  /** The expression of a generated (computed) column; null for a plain one. */
  generated: string | null;
}

/** `definition` is the index without its name (method, keys, filter), so a renamed index with the same keys is the same index. */
export interface IndexShape {
  definition: string;
  unique: boolean;
}

export type ConstraintKind = 'primary key' | 'foreign key' | 'unique' | 'check' | 'exclusion';

export interface ConstraintShape {
  kind: ConstraintKind;
  definition: string;
}

export interface SequenceShape {
  type: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cycle: boolean;
}

export interface TableShape {
  columns: Record<string, ColumnShape>;
  indexes: Record<string, IndexShape>;
  constraints: Record<string, ConstraintShape>;
}

/**
 * A tenant database's schema, in the terms both engines share: tables (columns, indexes that do not
 * back a constraint, constraints) and sequences, keyed by name. No OIDs, no object ids, no order:
 * two databases with the same schema have equal snapshots and the same fingerprint.
 */
export interface SchemaSnapshot {
  tables: Record<string, TableShape>;
  sequences: Record<string, SequenceShape>;
}

/** A tenant database's schema as read, with the version its own migrations table records (null: none applied). */
export interface SchemaReading {
  snapshot: SchemaSnapshot;
  version: string | null;
}

/** One row of the catalog query's answer per object (catalog-queries.ts): the same shape from PostgreSQL and from SQL Server. */
export interface CatalogAnswer {
  /** Names (PostgreSQL's json_agg) or `{ table }` objects (SQL Server's FOR JSON PATH). */
  tables: Array<string | { table: string }> | null;
  columns: Array<{
    table: string;
    name: string;
    type: string;
    nullable: boolean | number;
    default: string | null;
    identity: string | null;
    generated: string | null;
  }> | null;
  indexes: Array<{ table: string; name: string; definition: string; unique: boolean | number }> | null;
  constraints: Array<{ table: string; name: string; kind: ConstraintKind; definition: string }> | null;
  sequences: Array<{
    name: string;
    type: string;
    start: string | number;
    increment: string | number;
    min: string | number;
    max: string | number;
    cycle: boolean | number;
  }> | null;
}

const KINDS: Record<string, ConstraintKind> = { p: 'primary key', f: 'foreign key', u: 'unique', c: 'check', x: 'exclusion' };

/**
 * SQL Server keeps a default as written, wrapped in parentheses (`((0))`, `(N'open')`); PostgreSQL
 * wraps some expressions too. Outer parentheses that enclose the whole text say nothing.
 */
export function normaliseExpression(text: string | null): string | null {
  if (text === null) return null;
  let expression = text.trim();
  while (expression.startsWith('(') && expression.endsWith(')') && enclosesAll(expression)) expression = expression.slice(1, -1).trim();
  return expression;
}

function enclosesAll(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === '(') depth += 1;
    else if (text[i] === ')') depth -= 1;
    if (depth === 0 && i < text.length - 1) return false;
  }
  return true;
}

/** The snapshot from the catalog query's answer (either dialect); the JSON columns may arrive as text (SQL Server's FOR JSON). */
export function snapshotFromCatalog(raw: Record<string, unknown>): SchemaSnapshot {
  const answer = Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, typeof value === 'string' ? JSON.parse(value) : value])) as CatalogAnswer;
  const tables: Record<string, TableShape> = {};
  const table = (name: string) => (tables[name] ??= { columns: {}, indexes: {}, constraints: {} });
  for (const entry of answer.tables ?? []) table(typeof entry === 'string' ? entry : entry.table);
  for (const column of answer.columns ?? []) {
    table(column.table).columns[column.name] = {
      type: column.type,
      nullable: Boolean(column.nullable),
      default: normaliseExpression(column.default),
      identity: column.identity ?? null,
      generated: normaliseExpression(column.generated ?? null),
    };
  }
  for (const index of answer.indexes ?? []) table(index.table).indexes[index.name] = { definition: index.definition, unique: Boolean(index.unique) };
  for (const constraint of answer.constraints ?? []) {
    table(constraint.table).constraints[constraint.name] = {
      kind: KINDS[constraint.kind] ?? constraint.kind,
      definition: normaliseExpression(constraint.definition) ?? '',
    };
  }
  const sequences: Record<string, SequenceShape> = {};
  for (const sequence of answer.sequences ?? []) {
    sequences[sequence.name] = {
      type: sequence.type,
      start: String(sequence.start),
      increment: String(sequence.increment),
      min: String(sequence.min),
      max: String(sequence.max),
      cycle: Boolean(sequence.cycle),
    };
  }
  return { tables, sequences };
}

/** JSON with every object's keys sorted: the same snapshot always serialises to the same text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 of the canonical snapshot: equal fingerprints, equal schemas. */
export function schemaFingerprint(snapshot: SchemaSnapshot): string {
  return createHash('sha256').update(canonical(snapshot)).digest('hex');
}
