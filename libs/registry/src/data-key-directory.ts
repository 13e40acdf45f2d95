import type { DataKeyStore, WrappedDataKey } from '@tenantry/secrets';
import type { RegistryQuery } from './tenant-directory';

const COLUMNS = 'id, wrapping_key_id, algorithm, wrapped_key';

function toRow(row: Record<string, unknown> | undefined): WrappedDataKey | null {
  if (!row) return null;
  return { id: row.id as number, wrappingKeyId: row.wrapping_key_id as string, algorithm: row.algorithm as string, wrappedKey: row.wrapped_key as Buffer };
}

/**
 * The registry's `data_keys`: wrapped data-encryption keys for tenant secrets. Like TenantDirectory
 * it takes a query function, so a business service reads it through its own small registry pool.
 */
export class DataKeyDirectory implements DataKeyStore {
  constructor(private readonly query: RegistryQuery) {}

  async find(id: number): Promise<WrappedDataKey | null> {
    const [row] = await this.query(`SELECT ${COLUMNS} FROM data_keys WHERE id = $1`, [id]);
    return toRow(row);
  }

  async findByWrappingKey(wrappingKeyId: string): Promise<WrappedDataKey | null> {
    const [row] = await this.query(`SELECT ${COLUMNS} FROM data_keys WHERE wrapping_key_id = $1`, [wrappingKeyId]);
    return toRow(row);
  }

  /** Null when a row for the same wrapping key version exists already (another worker's): the caller reads that one. */
  async insert(key: Omit<WrappedDataKey, 'id'>): Promise<WrappedDataKey | null> {
    const [row] = await this.query(
      `INSERT INTO data_keys (wrapping_key_id, algorithm, wrapped_key) VALUES ($1, $2, $3)
       ON CONFLICT (wrapping_key_id) DO NOTHING
       RETURNING ${COLUMNS}`,
      [key.wrappingKeyId, key.algorithm, key.wrappedKey],
    );
    return toRow(row);
  }
}
