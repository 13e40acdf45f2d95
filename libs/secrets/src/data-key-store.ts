/** A data-encryption key as the registry keeps it: only wrapped, with the exact Key Vault key version that wrapped it. */
export interface WrappedDataKey {
  id: number;
  /** The wrapping key's full id, version included: `https://<vault>/keys/<name>/<version>`. */
  wrappingKeyId: string;
  algorithm: string;
  wrappedKey: Buffer;
}

/**
 * Where wrapped data keys live (the registry's `data_keys`). At most one per wrapping key version,
 * so that every process unwraps the same few keys and no start-up adds one.
 */
export interface DataKeyStore {
  find(id: number): Promise<WrappedDataKey | null>;
  findByWrappingKey(wrappingKeyId: string): Promise<WrappedDataKey | null>;
  /** Adds the key unless one for the same wrapping key version is there already; null when another writer got there first. */
  insert(key: Omit<WrappedDataKey, 'id'>): Promise<WrappedDataKey | null>;
}
