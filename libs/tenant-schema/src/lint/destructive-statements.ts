/** A statement that breaks the previous app version still running against the database. */
export interface DestructiveStatement {
  reason: string;
  statement: string;
}

// Checked on the SQL a migration really executed, normalised to one line of upper-case keywords.
const RULES: Array<{ pattern: RegExp; reason: string }> = [
  { pattern: /^DROP\s+(TABLE|VIEW|MATERIALIZED VIEW|SCHEMA|TYPE|FUNCTION|SEQUENCE)\b/, reason: 'drops an object the previous app version may use' },
  { pattern: /^TRUNCATE\b/, reason: 'deletes data' },
  { pattern: /^ALTER\s+TABLE\b.*\bDROP\s+(COLUMN\b|(?!CONSTRAINT\b|DEFAULT\b)("[^"]+"|\w+)\s*(,|$))/, reason: 'drops a column' },
  { pattern: /^ALTER\s+TABLE\b.*\bRENAME\b/, reason: 'renames a table or column' },
  { pattern: /^ALTER\s+TABLE\b.*\bALTER\s+(COLUMN\s+)?\S+\s+(SET\s+DATA\s+)?TYPE\b/, reason: 'changes a column type' },
  { pattern: /^ALTER\s+TABLE\b.*\bALTER\s+(COLUMN\s+)?\S+\s+SET\s+NOT\s+NULL\b/, reason: 'adds NOT NULL to an existing column' },
  { pattern: /^ALTER\s+TABLE\b.*\bALTER\s+(COLUMN\s+)?\S+\s+DROP\s+DEFAULT\b/, reason: 'drops a default that old code may rely on' },
  { pattern: /^ALTER\s+TABLE\b.*\bADD\s+(COLUMN\s+)?\S+\s+[^,]*\bNOT\s+NULL\b(?![^,]*\bDEFAULT\b)/, reason: 'adds a NOT NULL column without a default (old inserts would fail)' },
];

function normalise(sql: string): string {
  return sql
    .replace(/--.*$/gm, '')
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/\s+/g, ' ')
    .trim()
    .toUpperCase();
}

/** The destructive parts of the statements a migration executed; empty for an additive one. */
export function destructiveStatements(executed: string[]): DestructiveStatement[] {
  const found: DestructiveStatement[] = [];
  for (const sql of executed) {
    const statement = normalise(sql);
    for (const rule of RULES) {
      if (rule.pattern.test(statement)) {
        found.push({ reason: rule.reason, statement: sql.replace(/\s+/g, ' ').trim() });
        break;
      }
    }
  }
  return found;
}
