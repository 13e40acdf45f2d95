import type { StepCheckpoint, TenantDatabaseTarget } from '../tenant-database-engine';

/** Where a tenant database comes from and goes to: ARM for an elastic pool, T-SQL on master for a plain SQL Server. */
export interface DatabaseLifecycle {
  exists(target: TenantDatabaseTarget): Promise<boolean>;
  create(target: TenantDatabaseTarget): Promise<void>;
  drop(target: TenantDatabaseTarget): Promise<void>;
  /** Returns where the copy went; `checkpoint` lets a long export be followed again after a crash. */
  export(target: TenantDatabaseTarget, name: string, checkpoint?: StepCheckpoint): Promise<string>;
}
