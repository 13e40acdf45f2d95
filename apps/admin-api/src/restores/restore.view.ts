import type { BackupMode } from '@tenantry/engines';
import type { TenantBackupEntity, TenantDatabaseEntity, TenantRestoreEntity } from '@tenantry/registry';

export function backupView(backup: TenantBackupEntity) {
  return {
    id: backup.id,
    engine: backup.engine,
    database: backup.databaseName,
    schemaVersion: backup.schemaVersion,
    location: backup.location,
    sizeBytes: backup.sizeBytes,
    status: backup.status,
    error: backup.error,
    startedAt: backup.startedAt,
    finishedAt: backup.finishedAt,
    operationId: backup.operationId,
  };
}

/** A tenant's backups; for an engine that keeps its own, what to restore from instead. */
export function backupListView(mode: BackupMode, backups: TenantBackupEntity[]) {
  return {
    mode,
    ...(mode === 'point-in-time'
      ? { note: 'Azure SQL keeps this database’s backups itself: restore it to a moment with POST /tenants/:code/restore {pointInTime}' }
      : {}),
    items: backups.map(backupView),
  };
}

/** Where the restored database is, for an operator to inspect it, and what became of it. */
export function restoreView(restore: TenantRestoreEntity, database: TenantDatabaseEntity | null, tenantCode: string) {
  return {
    id: restore.id,
    status: restore.status,
    backupId: restore.backupId,
    pointInTime: restore.pointInTime,
    database: { name: restore.databaseName, engine: database?.address.engine ?? null, host: database?.address.host ?? null, port: database?.address.port ?? null },
    replaced: restore.replacedDatabaseName ? { name: restore.replacedDatabaseName } : null,
    createdAt: restore.createdAt,
    readyAt: restore.readyAt,
    swappedAt: restore.swappedAt,
    operationId: restore.operationId,
    links: { swap: `/tenants/${tenantCode}/restore/${restore.id}/swap`, operation: `/operations/${restore.operationId}` },
  };
}
