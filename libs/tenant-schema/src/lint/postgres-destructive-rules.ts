import { anyStatement, type DialectRules } from './dialect-rules';

function normalise(sql: string): string {
  return sql
    .replace(/--.*$/gm, '')
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/\s+/g, ' ')
    .trim()
    .toUpperCase();
}

export const POSTGRES_RULES: DialectRules = {
  statements: (sql) => [normalise(sql)],
  rules: [
    anyStatement(/^DROP\s+(TABLE|VIEW|MATERIALIZED VIEW|SCHEMA|TYPE|FUNCTION|SEQUENCE)\b/, 'drops an object the previous app version may use'),
    anyStatement(/^TRUNCATE\b/, 'deletes data'),
    anyStatement(/^ALTER\s+TABLE\b.*\bDROP\s+(COLUMN\b|(?!CONSTRAINT\b|DEFAULT\b)("[^"]+"|\w+)\s*(,|$))/, 'drops a column'),
    anyStatement(/^ALTER\s+TABLE\b.*\bRENAME\b/, 'renames a table or column'),
    anyStatement(/^ALTER\s+TABLE\b.*\bALTER\s+(COLUMN\s+)?\S+\s+(SET\s+DATA\s+)?TYPE\b/, 'changes a column type'),
    anyStatement(/^ALTER\s+TABLE\b.*\bALTER\s+(COLUMN\s+)?\S+\s+SET\s+NOT\s+NULL\b/, 'adds NOT NULL to an existing column'),
    anyStatement(/^ALTER\s+TABLE\b.*\bALTER\s+(COLUMN\s+)?\S+\s+DROP\s+DEFAULT\b/, 'drops a default that old code may rely on'),
    anyStatement(
      /^ALTER\s+TABLE\b.*\bADD\s+(COLUMN\s+)?\S+\s+[^,]*\bNOT\s+NULL\b(?![^,]*\bDEFAULT\b)/,
      'adds a NOT NULL column without a default (old inserts would fail)',
    ),
  ],
};
