import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const OWNER_FILE = 'tenantry-owner.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Names this process as the owner of `dir`, a directory of a throwaway server under the temp directory. */
export function claimForThisProcess(dir: string): void {
  writeFileSync(join(dir, OWNER_FILE), String(process.pid));
}

/**
 * Stops and removes the throwaway servers (directories named `prefix…` in the temp directory) of test
 * processes that died without cleaning up: a killed Jest worker runs no exit handler.
 */
export function reapOrphans(prefix: string, stop: (dir: string) => void): void {
  for (const name of readdirSync(tmpdir()).filter((entry) => entry.startsWith(prefix))) {
    const dir = join(tmpdir(), name);
    const ownerFile = join(dir, OWNER_FILE);
    if (!existsSync(ownerFile) || alive(Number(readFileSync(ownerFile, 'utf8')))) continue;
    stop(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}
