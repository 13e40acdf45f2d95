import type { TokenCredential } from '@azure/identity';
import type { AzureSqlEngineOptions } from '../src/azure-sql/azure-sql.engine';
import type { TransientRetryOptions } from '../src/azure-sql/transient-retry';
import type { ArmSqlDouble } from './arm-sql-double';

/** An Azure SQL engine's options that reach `arm` (trusting its certificate), poll it every 10 ms and retry at `retry`'s pace; no SQL is sent. */
export function armDoubleEngineOptions(arm: ArmSqlDouble, credential: TokenCredential, retry: TransientRetryOptions): AzureSqlEngineOptions {
  return {
    environment: 'test',
    credential,
    armEndpoint: arm.url,
    armClientOptions: { tlsOptions: { ca: arm.ca } },
    armPollIntervalMs: 10,
    retry,
    sqlAuth: { kind: 'sql', login: 'sqladmin', password: 'never-used-here' },
    trustServerCertificate: false,
  };
}
