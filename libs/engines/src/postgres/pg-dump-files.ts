import { mkdir, mkdtemp, rm, stat, chmod, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs `work` with `url` stripped of its password. The password goes to libpq in a password file
 * (0600, in a private temporary directory, removed afterwards) named by the `passfile` connection
 * parameter: in the URL it would be in the client's arguments, which every user of the machine
 * reads in the process list; PGPASSWORD is what PostgreSQL's documentation advises against, since
 * some systems show a process's environment to others too.
 */
export async function withPasswordFile<T>(url: string, work: (url: string) => Promise<T>): Promise<T> {
  const parsed = new URL(url);
  if (!parsed.password) return work(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  const directory = await mkdtemp(join(tmpdir(), 'tenantry-pgpass-'));
  try {
    const file = join(directory, 'pgpass');
    // host:port:database:user:password, where a backslash or a colon in a field is escaped.
    await writeFile(file, `*:*:*:*:${password.replace(/[\\:]/g, (c) => `\\${c}`)}\n`, { mode: 0o600 });
    parsed.searchParams.set('passfile', file);
    return await work(parsed.toString());
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** Makes sure `directory` exists and only its owner can enter it; one of ours left more open by an earlier version is closed. */
export async function privateDirectory(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const { mode, uid } = await stat(directory);
  if ((mode & 0o077) !== 0 && uid === process.getuid?.()) await chmod(directory, 0o700);
}
