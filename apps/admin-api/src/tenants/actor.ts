/** Who performed an admin action, as written to the audit trail. */
export type { AuditActor as Actor } from '@tenantry/registry';
