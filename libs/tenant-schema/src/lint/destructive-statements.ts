import type { TenantDialect } from '../tenant-dialect';
import type { DialectRules } from './dialect-rules';
import { POSTGRES_RULES } from './postgres-destructive-rules';
import { TSQL_RULES } from './tsql-destructive-rules';

/** A statement that breaks the previous app version still running against the database. */
export interface DestructiveStatement {
  reason: string;
  statement: string;
}

const RULES: Record<TenantDialect, DialectRules> = { postgres: POSTGRES_RULES, mssql: TSQL_RULES };

/** The destructive parts of the queries a migration executed on a database of that dialect; empty for an additive one. */
export function destructiveStatements(executed: string[], dialect: TenantDialect): DestructiveStatement[] {
  const { statements, rules } = RULES[dialect];
  const found: DestructiveStatement[] = [];
  for (const sql of executed) {
    const normalised = statements(sql);
    const rule = rules.find((candidate) => candidate.matches(normalised));
    if (rule) found.push({ reason: rule.reason, statement: sql.replace(/\s+/g, ' ').trim() });
  }
  return found;
}
