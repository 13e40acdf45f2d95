/** What makes a statement destructive in one dialect: checked on the SQL a migration really executed. */
export interface DestructiveRule {
  reason: string;
  /** Gets the normalised statements of one executed query (one line each, keywords upper case). */
  matches(statements: string[]): boolean;
}

export interface DialectRules {
  /** One executed query as normalised statements: comments and literals blanked, whitespace collapsed, upper case. */
  statements: (sql: string) => string[];
  rules: DestructiveRule[];
}

/** A rule met when any one statement of the query matches the pattern. */
export function anyStatement(pattern: RegExp, reason: string): DestructiveRule {
  return { reason, matches: (statements) => statements.some((statement) => pattern.test(statement)) };
}
