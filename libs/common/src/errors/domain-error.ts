export type ErrorCategory = 'invalid' | 'unauthenticated' | 'forbidden' | 'not_found' | 'conflict' | 'capacity' | 'unavailable';

/** A failure the caller can act on: a stable code, a category that maps to a status, a message that says what is wrong. */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly category: ErrorCategory;
  /** For an `unavailable` one: when the caller may try again, if sooner or later than the default. */
  readonly retryAfterSeconds?: number;

  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
