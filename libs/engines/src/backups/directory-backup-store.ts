import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { privateDirectory } from '../postgres/pg-dump-files';
import type { BackupStore, StoredBackup } from './backup-store';

/**
 * Backups as files of one directory (a local disk, or a mounted share). Each is written beside its
 * final name and renamed, so a file under its final name is complete; they hold every row of a
 * tenant, so the directory is 0700 and each file 0600 from the moment it exists.
 */
export class DirectoryBackupStore implements BackupStore {
  private readonly directory: string;

  constructor(directory: string) {
    this.directory = resolve(directory);
  }

  async save(name: string, write: (file: string) => Promise<void>): Promise<StoredBackup> {
    await privateDirectory(this.directory);
    const location = this.pathOf(name);
    const partial = `${location}.partial`;
    await rm(partial, { force: true });
    await (await open(partial, 'wx', 0o600)).close();
    try {
      await write(partial);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    await rename(partial, location);
    return { location, sizeBytes: (await stat(location)).size };
  }

  async open<T>(location: string, use: (file: string) => Promise<T>): Promise<T> {
    return use(this.pathOf(basename(location)));
  }

  async remove(location: string): Promise<void> {
    await rm(this.pathOf(basename(location)), { force: true });
  }

  /** Only names inside the directory: a location read back from the registry never points elsewhere. */
  private pathOf(name: string): string {
    if (!/^[a-zA-Z0-9_.-]+$/.test(name) || name.startsWith('.')) throw new Error(`"${name}" is not a backup name`);
    return resolve(this.directory, name);
  }
}
