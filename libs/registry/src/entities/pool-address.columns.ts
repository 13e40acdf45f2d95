import type { EngineKind, PoolAddress } from '@tenantry/common';
import { Column } from 'typeorm';

/**
 * The address columns database_pools and tenant_databases share, embedded in both entities without
 * a prefix: the column names are the tables' own.
 */
export class PoolAddressColumns implements PoolAddress {
  @Column({ type: 'text' })
  engine: EngineKind;

  @Column({ type: 'text' })
  host: string;

  @Column({ type: 'int' })
  port: number;

  @Column({ name: 'elastic_pool_id', type: 'text', nullable: true })
  elasticPoolId: string | null;

  @Column({ type: 'text', nullable: true })
  location: string | null;
}
