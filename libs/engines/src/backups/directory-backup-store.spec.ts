import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryBackupStore } from './directory-backup-store';

describe('DirectoryBackupStore', () => {
  const root = mkdtempSync(join(tmpdir(), 'tenantry-store-'));
  const store = new DirectoryBackupStore(join(root, 'backups'));

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('keeps a backup only once written whole, readable by its owner alone, and opens and removes it by its location', async () => {
    const saved = await store.save('tenant_a_dev-1.dump', (file) => writeFile(file, 'dump bytes'));
    expect(saved).toEqual({ location: join(root, 'backups', 'tenant_a_dev-1.dump'), sizeBytes: 10 });
    expect(statSync(saved.location).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'backups')).mode & 0o777).toBe(0o700);
    expect(await store.open(saved.location, async (file) => readFileSync(file, 'utf8'))).toBe('dump bytes');
    await store.remove(saved.location);
    await store.remove(saved.location);
    await expect(store.open(saved.location, async (file) => readFileSync(file, 'utf8'))).rejects.toThrow('ENOENT');
  });

  it('leaves nothing under the final name when the writer fails', async () => {
    await expect(store.save('tenant_b_dev-2.dump', () => Promise.reject(new Error('pg_dump failed')))).rejects.toThrow('pg_dump failed');
    await expect(store.open('tenant_b_dev-2.dump', async (file) => readFileSync(file))).rejects.toThrow('ENOENT');
  });

  it('refuses a name that would leave its directory', async () => {
    await expect(store.save('../escape.dump', async () => undefined)).rejects.toThrow('is not a backup name');
    await expect(store.save('.hidden', async () => undefined)).rejects.toThrow('is not a backup name');
  });
});
