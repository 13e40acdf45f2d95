import { InvalidTenantCode } from '@tenantry/common';
import { assertIdentifier } from '../tenant-names';

/**
 * A database or user name as a T-SQL delimited identifier. Only allow-listed names pass, so a `]`
 * (the one character that could close the brackets early) never reaches the statement.
 */
export function quoteTsqlName(name: string): string {
  if (name.includes(']')) throw new InvalidTenantCode(`"${name}" contains "]", which T-SQL names may not`);
  assertIdentifier(name);
  return `[${name}]`;
}

/** A Unicode string literal, for the few statements (CREATE/ALTER USER ... PASSWORD) that take no parameters. */
export function tsqlString(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what it refuses
  if (/[\u0000-\u001f]/.test(value)) throw new Error('a T-SQL string literal may not contain control characters');
  return `N'${value.replace(/'/g, "''")}'`;
}
