import { type DynamicModule, Module } from '@nestjs/common';
import { createMetricsRegistry, LoggingModule, METRICS_REGISTRY, RedisModule } from '@tenantry/common';
import { BACKUP_STORE, DirectoryBackupStore, EnginesModule } from '@tenantry/engines';
import { DataKeyDirectory, OperationQueueModule, RegisteredServerCredentials, RegistryModule, RETENTION_OPTIONS } from '@tenantry/registry';
import { SecretsModule } from '@tenantry/secrets';
import { ClsModule } from 'nestjs-cls';
import { BackupSchedule } from './backups/backup-schedule';
import { BackupSaga } from './backups/backup.saga';
import { RestoreSwapSaga } from './backups/restore-swap.saga';
import { RestoreSaga } from './backups/restore.saga';
import { RestoredDatabase } from './backups/restored-database';
import { TenantBackups } from './backups/tenant-backups';
import { UndeleteSaga } from './backups/undelete.saga';
import { DatabaseCreator } from './fast-path/database-creator';
import { WarmPoolKeeper } from './fast-path/warm-pool-keeper';
import { MetricsServer } from './metrics/metrics-server';
import { WorkerMetrics } from './metrics/worker-metrics';
import { PoolerBudgetKeeper } from './pooler/pooler-budget-keeper';
import { OperationWorker } from './queue/operation-worker';
import { OperationReconciler } from './reconciler/operation-reconciler';
import { CredentialRotationSaga } from './saga/credential-rotation.saga';
import { Credentials } from './saga/credentials';
import { DeprovisioningSaga } from './saga/deprovisioning.saga';
import { FailPoints } from './saga/fail-points';
import { MoveSaga } from './saga/move.saga';
import { PlacementService } from './saga/placement.service';
import { ProvisioningSaga } from './saga/provisioning.saga';
import { ResumptionSaga } from './saga/resumption.saga';
import { SagaRunner } from './saga/saga-runner';
import { SessionDrain } from './saga/session-drain';
import { SuspensionSaga } from './saga/suspension.saga';
import { TenantServerAccess } from './startup/tenant-server-access';
import { RetiredDatabaseSweeper } from './switchover/retired-database-sweeper';
import { TenantSwitchover } from './switchover/tenant-switchover';
import { WORKER_OPTIONS, type WorkerSettings } from './worker-settings';

@Module({})
export class WorkerModule {
  static forRoot(settings: WorkerSettings): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ClsModule.forRoot({ global: true }),
        LoggingModule.forRoot(settings.logging, 'provisioning-worker'),
        RedisModule.forRoot(settings.redis),
        RegistryModule.forRoot(settings.registry, { configuredPool: settings.configuredPool, slotReservation: settings.slotReservation }),
        OperationQueueModule.forRoot(settings.queue),
        EnginesModule.forRoot(settings.engines, RegisteredServerCredentials),
        SecretsModule.forRoot(settings.secrets, DataKeyDirectory),
      ],
      providers: [
        { provide: WORKER_OPTIONS, useValue: settings.worker },
        { provide: RETENTION_OPTIONS, useValue: settings.retention },
        // A directory for now; a blob store would be another BackupStore here.
        { provide: BACKUP_STORE, useValue: new DirectoryBackupStore(settings.worker.backups.directory) },
        { provide: METRICS_REGISTRY, useFactory: () => createMetricsRegistry('provisioning-worker') },
        WorkerMetrics,
        MetricsServer,
        FailPoints,
        WarmPoolKeeper,
        DatabaseCreator,
        SagaRunner,
        PlacementService,
        ProvisioningSaga,
        DeprovisioningSaga,
        Credentials,
        SessionDrain,
        CredentialRotationSaga,
        SuspensionSaga,
        ResumptionSaga,
        TenantBackups,
        RestoredDatabase,
        BackupSaga,
        RestoreSaga,
        RestoreSwapSaga,
        UndeleteSaga,
        BackupSchedule,
        TenantSwitchover,
        MoveSaga,
        RetiredDatabaseSweeper,
        PoolerBudgetKeeper,
        TenantServerAccess,
        OperationWorker,
        OperationReconciler,
      ],
    };
  }
}
