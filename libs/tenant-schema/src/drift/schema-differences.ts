import type { ColumnShape, ConstraintShape, IndexShape, SchemaSnapshot, SequenceShape, TableShape } from './schema-snapshot';

/** `version`: the database records another version than the registry does. */
export type DriftObject = 'version' | 'table' | 'column' | 'index' | 'constraint' | 'sequence';

/** One way a database differs from the schema of its version, with the sentence an operator reads. */
export interface SchemaDifference {
  object: DriftObject;
  /** `table`, `table.column`, or the index / constraint / sequence name. */
  name: string;
  problem: 'missing' | 'unexpected' | 'changed';
  description: string;
}

const byName = (a: SchemaDifference, b: SchemaDifference) => (a.description < b.description ? -1 : a.description > b.description ? 1 : 0);

/**
 * How `actual` differs from `expected`, one difference per object (sorted, so two scans of one
 * database read the same). Indexes and constraints are paired by name, then by definition: PostgreSQL
 * and SQL Server generate names, and a generated name that differs with the same definition is not drift.
 */
export function compareSchemas(actual: SchemaSnapshot, expected: SchemaSnapshot): SchemaDifference[] {
  const differences: SchemaDifference[] = [];
  for (const [name, want] of Object.entries(expected.tables)) {
    const have = actual.tables[name];
    if (!have) differences.push({ object: 'table', name, problem: 'missing', description: `table ${name} missing` });
    else differences.push(...compareTables(name, have, want));
  }
  for (const name of Object.keys(actual.tables)) {
    if (!expected.tables[name]) differences.push({ object: 'table', name, problem: 'unexpected', description: `table ${name} unexpected` });
  }
  differences.push(...compareSequences(actual.sequences, expected.sequences));
  return differences.sort(byName);
}

function compareTables(table: string, have: TableShape, want: TableShape): SchemaDifference[] {
  const differences: SchemaDifference[] = [];
  for (const [name, column] of Object.entries(want.columns)) {
    const found = have.columns[name];
    const qualified = `${table}.${name}`;
    if (!found) differences.push({ object: 'column', name: qualified, problem: 'missing', description: `column ${qualified} missing` });
    else differences.push(...columnChanges(qualified, found, column));
  }
  for (const name of Object.keys(have.columns)) {
    if (!want.columns[name]) differences.push({ object: 'column', name: `${table}.${name}`, problem: 'unexpected', description: `column ${table}.${name} unexpected` });
  }
  differences.push(
    ...comparePaired(
      'index',
      have.indexes,
      want.indexes,
      sameIndex,
      (name, found, wanted) => indexChanges(name, table, found, wanted),
      (name) => `index ${name} on ${table}`,
    ),
  );
  differences.push(
    ...comparePaired(
      'constraint',
      have.constraints,
      want.constraints,
      sameConstraint,
      (name, found, wanted) => (sameConstraint(found, wanted) ? [] : [`${wanted.kind} ${name} on ${table} is ${found.definition}, expected ${wanted.definition}`]),
      (name, shape) => `${shape.kind} ${name} on ${table}`,
    ),
  );
  return differences;
}

function columnChanges(name: string, have: ColumnShape, want: ColumnShape): SchemaDifference[] {
  const changes: string[] = [];
  if (have.type !== want.type) changes.push(`column ${name} is ${have.type}, expected ${want.type}`);
  if (have.nullable !== want.nullable) changes.push(`column ${name} is ${nullability(have)}, expected ${nullability(want)}`);
  if (have.default !== want.default) changes.push(`column ${name} ${defaultOf(have)}, expected ${want.default === null ? 'no default' : want.default}`);
  if (have.identity !== want.identity) changes.push(`column ${name} identity is ${have.identity ?? 'none'}, expected ${want.identity ?? 'none'}`);
  if (have.generated !== want.generated) changes.push(`column ${name} is generated as ${have.generated ?? 'nothing'}, expected ${want.generated ?? 'nothing'}`);
  return changes.map((description) => ({ object: 'column', name, problem: 'changed', description }));
}

const nullability = (column: ColumnShape) => (column.nullable ? 'nullable' : 'NOT NULL');
const defaultOf = (column: ColumnShape) => (column.default === null ? 'has no default' : `defaults to ${column.default}`);

const sameConstraint = (a: ConstraintShape, b: ConstraintShape) => a.kind === b.kind && a.definition === b.definition;

const sameIndex = (a: IndexShape, b: IndexShape) => a.definition === b.definition && a.unique === b.unique;

function indexChanges(name: string, table: string, have: IndexShape, want: IndexShape): string[] {
  const changes: string[] = [];
  if (have.definition !== want.definition) changes.push(`index ${name} on ${table} is ${have.definition}, expected ${want.definition}`);
  if (have.unique !== want.unique)
    changes.push(`index ${name} on ${table} is ${have.unique ? 'unique' : 'not unique'}, expected ${want.unique ? 'unique' : 'not unique'}`);
  return changes;
}

/**
 * Objects paired by name, then the rest by `same` (a generated name that differs): those still
 * unpaired are missing or unexpected, and pairs by name that differ are changed.
 */
function comparePaired<T>(
  object: DriftObject,
  have: Record<string, T>,
  want: Record<string, T>,
  same: (a: T, b: T) => boolean,
  changes: (name: string, found: T, wanted: T) => string[],
  label: (name: string, shape: T) => string,
): SchemaDifference[] {
  const differences: SchemaDifference[] = [];
  const unpairedHave = new Map(Object.entries(have).filter(([name]) => !(name in want)));
  const unpairedWant: Array<[string, T]> = [];
  for (const [name, wanted] of Object.entries(want)) {
    const found = have[name];
    if (found === undefined) unpairedWant.push([name, wanted]);
    else differences.push(...changes(name, found, wanted).map((description) => ({ object, name, problem: 'changed' as const, description })));
  }
  for (const [name, wanted] of unpairedWant) {
    const renamed = [...unpairedHave].find(([, found]) => same(found, wanted));
    if (renamed) unpairedHave.delete(renamed[0]);
    else differences.push({ object, name, problem: 'missing', description: `${label(name, wanted)} missing` });
  }
  for (const [name, found] of unpairedHave) differences.push({ object, name, problem: 'unexpected', description: `${label(name, found)} unexpected` });
  return differences;
}

const SEQUENCE_FIELDS: Array<keyof SequenceShape> = ['type', 'start', 'increment', 'min', 'max', 'cycle'];

function compareSequences(have: Record<string, SequenceShape>, want: Record<string, SequenceShape>): SchemaDifference[] {
  return comparePaired(
    'sequence',
    have,
    want,
    (a, b) => SEQUENCE_FIELDS.every((field) => a[field] === b[field]),
    (name, found, wanted) =>
      SEQUENCE_FIELDS.filter((field) => found[field] !== wanted[field]).map(
        (field) => `sequence ${name} ${field} is ${String(found[field])}, expected ${String(wanted[field])}`,
      ),
    (name) => `sequence ${name}`,
  );
}
