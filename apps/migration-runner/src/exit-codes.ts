import { constants } from 'node:os';

/** The runner's exit codes, one meaning each; --help and the README list them. */
export const EXIT = {
  /** Every tenant migrated, already current, or planned. */
  ok: 0,
  /** The run ended; some tenants failed or were skipped. */
  tenantsFailed: 1,
  /** Nothing ran: a bad flag or setting, an unknown tenant, or a contract migration that must wait. */
  usage: 2,
  /** The runner itself failed (the registry went away, a bug); what it had is printed, reported and recorded `crashed`. */
  crashed: 3,
} as const;

/** Stopped by a signal and recorded `interrupted`: 128 + the signal's number, as a shell reports it (130 SIGINT, 143 SIGTERM). */
export function interruptedExitCode(signal: 'SIGINT' | 'SIGTERM'): number {
  return 128 + constants.signals[signal];
}
