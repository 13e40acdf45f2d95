import { DomainError } from '@tenantry/common';

export class DriftNotScanned extends DomainError {
  readonly code = 'DRIFT_NOT_SCANNED';
  readonly category = 'not_found';
  constructor(code: string) {
    super(`tenant "${code}" has not been scanned for drift yet: npm run drift -- --tenant ${code} (or wait for the scheduled scan)`, { tenantCode: code });
  }
}
