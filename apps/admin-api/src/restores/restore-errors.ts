import { DomainError } from '@tenantry/common';

export class BackupNotFound extends DomainError {
  readonly code = 'BACKUP_NOT_FOUND';
  readonly category = 'not_found';
  constructor(tenantCode: string, id: string) {
    super(`tenant "${tenantCode}" has no succeeded backup "${id}" (see GET /tenants/${tenantCode}/backups)`);
  }
}

export class RestoreNotFound extends DomainError {
  readonly code = 'RESTORE_NOT_FOUND';
  readonly category = 'not_found';
  constructor(tenantCode: string, id: string) {
    super(`tenant "${tenantCode}" has no restore "${id}" (see GET /tenants/${tenantCode}/restores)`);
  }
}

/** A restore asked of the wrong kind for the tenant's engine, or naming neither or both sources; the message says which. */
export class RestoreRequestInvalid extends DomainError {
  readonly code = 'RESTORE_REQUEST_INVALID';
  readonly category = 'invalid';
}

export class RestoreNotReady extends DomainError {
  readonly code = 'RESTORE_NOT_READY';
  readonly category = 'conflict';
  constructor(id: string, status: string) {
    super(`restore "${id}" is ${status}; only a ready restore can be swapped in`, { restoreId: id, status });
  }
}

/** An offboarded tenant that cannot be brought back: its code reused, its window passed, or no backup left; the message says which. */
export class UndeleteRefused extends DomainError {
  readonly code = 'UNDELETE_REFUSED';
  readonly category = 'conflict';
  constructor(
    tenantCode: string,
    readonly reason: 'code_reused' | 'window_passed' | 'no_backup',
    why: string,
  ) {
    super(`tenant "${tenantCode}" cannot be undeleted: ${why}`, { tenantCode, reason });
  }
}
