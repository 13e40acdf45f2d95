/** Where a backup went once written: the store's own name for it, and how many bytes it holds. */
export interface StoredBackup {
  location: string;
  sizeBytes: number;
}

/**
 * Where tenant backups are kept. Engines write and read local files (pg_restore needs a seekable
 * one to restore in parallel), so the port speaks in files: a store that is not a directory (a blob
 * container) uploads the file `save` filled and downloads the one `open` hands out.
 */
export interface BackupStore {
  /** Stores backup `name`, written by `write` into the file it is given; a file left by an interrupted attempt is replaced. */
  save(name: string, write: (file: string) => Promise<void>): Promise<StoredBackup>;
  /** Hands `use` a local file holding the backup at `location`. */
  open<T>(location: string, use: (file: string) => Promise<T>): Promise<T>;
  /** Idempotent: a backup already gone is not an error. */
  remove(location: string): Promise<void>;
}

export const BACKUP_STORE = Symbol('BACKUP_STORE');
