import { anyStatement, type DestructiveRule, type DialectRules } from './dialect-rules';

interface Scanned {
  /** Upper case, one line; each string literal replaced by `'<its index>'`, quoted identifiers unwrapped. */
  text: string;
  literals: string[];
}

/** Reads up to the closing `close` (doubled inside to escape it); returns the content and the index after it. */
function quoted(sql: string, start: number, close: string): [string, number] {
  let value = '';
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === close && sql[i + 1] === close) {
      value += close;
      i += 2;
    } else if (sql[i] === close) {
      return [value, i + 1];
    } else {
      value += sql[i];
      i += 1;
    }
  }
  return [value, i];
}

// One pass, so that `--` in a literal or `'` in a [bracketed identifier] is not taken for what it is not.
function scan(sql: string): Scanned {
  const literals: string[] = [];
  let text = '';
  let i = 0;
  while (i < sql.length) {
    const pair = sql.slice(i, i + 2);
    if (pair === '--') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end;
      text += ' ';
    } else if (pair === '/*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
      text += ' ';
    } else if (sql[i] === "'") {
      const [value, next] = quoted(sql, i, "'");
      text += `'${literals.push(value) - 1}'`;
      i = next;
    } else if (sql[i] === '[' || sql[i] === '"') {
      const [value, next] = quoted(sql, i, sql[i] === '[' ? ']' : '"');
      text += value.replace(/[^\w.$#@]/g, '_');
      i = next;
    } else {
      text += sql[i];
      i += 1;
    }
  }
  return { text: text.replace(/\s+/g, ' ').trim().toUpperCase(), literals };
}

// T-SQL needs no `;` between statements, so a batch is also cut before every keyword that starts one.
const STATEMENT_START =
  /(?=\b(?:ALTER\s+(?:TABLE|VIEW|PROC|PROCEDURE|FUNCTION|INDEX|SCHEMA|TRIGGER)|CREATE|DROP\s+(?:TABLE|VIEW|PROC|PROCEDURE|FUNCTION|INDEX|SCHEMA|TYPE|SEQUENCE|SYNONYM|TRIGGER)|TRUNCATE\s+TABLE|EXEC|EXECUTE)\b)/;

// Dynamic SQL given as one literal: EXEC('...'), EXEC(N'...' + @name), sp_executesql N'...'.
const DYNAMIC_SQL = /\bEXEC(?:UTE)?\s*\(\s*N?'(\d+)'|\bSP_EXECUTESQL\s+(?:@\w+\s*=\s*)?N?'(\d+)'/g;

function statements(sql: string): string[] {
  const { text, literals } = scan(sql);
  const own = text
    .split(';')
    .flatMap((part) => part.split(STATEMENT_START))
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
  const dynamic = [...text.matchAll(DYNAMIC_SQL)].flatMap((match) => statements(literals[Number(match[1] ?? match[2])]));
  return [...own, ...dynamic];
}

/** Splits at commas outside parentheses: the items of `ADD a int NULL, b int NOT NULL, CONSTRAINT ...`. */
function topLevelItems(list: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of list) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      items.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  return [...items, current.trim()];
}

function addsNotNullWithoutDefault(statement: string): boolean {
  const added = /^ALTER\s+TABLE\s+\S+\s+(?:WITH\s+(?:NO)?CHECK\s+)?ADD\s+(.*)$/.exec(statement);
  if (!added) return false;
  return topLevelItems(added[1]).some(
    (item) =>
      !/^(CONSTRAINT|PRIMARY|UNIQUE|FOREIGN|CHECK|INDEX|PERIOD|DEFAULT)\b/.test(item) &&
      !/^(COLUMN\s+)?\S+\s+AS\b/.test(item) &&
      /\bNOT\s+NULL\b/.test(item) &&
      // An identity column fills itself, so old inserts still succeed.
      !/\b(DEFAULT|IDENTITY)\b/.test(item),
  );
}

const DROPS_DEFAULT = 'drops a default that old code may rely on';

const rules: DestructiveRule[] = [
  anyStatement(/^DROP\s+(TABLE|VIEW|SCHEMA|TYPE|FUNCTION|PROC|PROCEDURE|SEQUENCE|SYNONYM)\b/, 'drops an object the previous app version may use'),
  anyStatement(/^TRUNCATE\s+TABLE\b/, 'deletes data'),
  anyStatement(/^ALTER\s+TABLE\s+\S+\s+DROP\b.*\bCOLUMN\b/, 'drops a column'),
  anyStatement(/^(EXEC(UTE)?\s+(@\w+\s*=\s*)?)?(\S*\.)?SP_RENAME\b/, 'renames a table or column (sp_rename)'),
  // ALTER COLUMN restates the type and the nullability; ADD/DROP forms (ROWGUIDCOL, MASKED, ...) do not.
  anyStatement(/^ALTER\s+TABLE\s+\S+\s+ALTER\s+COLUMN\s+\S+\s+(?!ADD\b|DROP\b).*\bNOT\s+NULL\b/, 'adds NOT NULL to an existing column (ALTER COLUMN)'),
  anyStatement(/^ALTER\s+TABLE\s+\S+\s+ALTER\s+COLUMN\s+\S+\s+(?!ADD\b|DROP\b)/, 'changes a column type (ALTER COLUMN)'),
  // Defaults are constraints on SQL Server, named DF_... by convention, by SQL Server and by TypeORM.
  anyStatement(/^ALTER\s+TABLE\s+\S+\s+DROP\s+(CONSTRAINT\s+)?(IF\s+EXISTS\s+)?DF_/, DROPS_DEFAULT),
  {
    reason: `${DROPS_DEFAULT} (named from sys.default_constraints)`,
    matches: (all) => all.some((s) => /\bSYS\.DEFAULT_CONSTRAINTS\b/.test(s)) && all.some((s) => /\bDROP\s+CONSTRAINT\b/.test(s)),
  },
  { reason: 'adds a NOT NULL column without a default (old inserts would fail)', matches: (all) => all.some(addsNotNullWithoutDefault) },
];

export const TSQL_RULES: DialectRules = { statements, rules };
