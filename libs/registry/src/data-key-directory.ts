import type { RegistryQuery } from './tenant-directory';

/** Shaped like DataKeyStore in @tenantry/secrets, which the registry does not import; an app hands one to the other. */
export interface DataKeyRow {
  id: number;
  wrappingKeyId: string;
  algorithm: string;
  wrappedKey: Buffer;
}

const COLUMNS = 'id, wrapping_key_id, algorithm, wrapped_key';

function toRow(row: Record<string, unknown> | undefined): DataKeyRow | null {
  if (!row) return null;
  return { id: row.id as number, wrappingKeyId: row.wrapping_key_id as string, algorithm: row.algorithm as string, wrappedKey: row.wrapped_key as Buffer };
}

/**
 * The registry's `data_keys`: wrapped data-encryption keys for tenant secrets. Like TenantDirectory
 * it takes a query function, so a business service reads it through its own small registry pool.
 */
export class DataKeyDirectory {
  constructor(private readonly query: RegistryQuery) {}

  async find(id: number): Promise<DataKeyRow | null> {
    const [row] = await this.query(`SELECT ${COLUMNS} FROM data_keys WHERE id = $1`, [id]);
    return toRow(row);
  }

  async findByWrappingKey(wrappingKeyId: string): Promise<DataKeyRow | null> {
    const [row] = await this.query(`SELECT ${COLUMNS} FROM data_keys WHERE wrapping_key_id = $1`, [wrappingKeyId]);
    return toRow(row);
  }

  /** Null when a row for the same wrapping key version exists already (another worker's): the caller reads that one. */
  async insert(key: Omit<DataKeyRow, 'id'>): Promise<DataKeyRow | null> {
    const [row] = await this.query(
      `INSERT INTO data_keys (wrapping_key_id, algorithm, wrapped_key) VALUES ($1, $2, $3)
       ON CONFLICT (wrapping_key_id) DO NOTHING
       RETURNING ${COLUMNS}`,
      [key.wrappingKeyId, key.algorithm, key.wrappedKey],
    );
    return toRow(row);
  }
}
