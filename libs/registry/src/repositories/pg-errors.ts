function pgCode(error: unknown): { code?: string; constraint?: string } {
  return ((error as { driverError?: unknown }).driverError ?? error) as { code?: string; constraint?: string };
}

/** True when `error` is PostgreSQL's unique_violation on the named constraint or index. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const { code, constraint: violated } = pgCode(error);
  return code === '23505' && violated === constraint;
}

/** True when `error` is PostgreSQL's lock_not_available: a wait for a row lock ran past lock_timeout. */
export function isLockTimeout(error: unknown): boolean {
  return pgCode(error).code === '55P03';
}

/** True when pg-pool gave up waiting for one of its connections to be free (not when a new one failed to connect). */
export function isPoolWaitTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'timeout exceeded when trying to connect';
}
