import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

/** The processes of one side of a bench: the PostgreSQL server (its postmaster), the pooler, the business-service replicas. */
export interface CpuParts {
  postmasterPid: number;
  poolerPid?: number;
  replicaPids: number[];
}

/** CPU seconds used so far, per part; `bench` is this process (the load generator); `busy` and `idle` the whole machine's (idle with I/O wait). */
export interface CpuSnapshot {
  server: number;
  pooler: number;
  replicas: number;
  bench: number;
  busy: number;
  idle: number;
}

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime, stime, cutime, cstime of a process, in seconds (/proc/<pid>/stat: fields after the command's closing parenthesis). */
function times(pid: number): { own: number; reaped: number; ppid: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is the state (field 3): utime is field 14, so fields[11].
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
  return { own: (utime + stime) / TICKS_PER_SECOND, reaped: (cutime + cstime) / TICKS_PER_SECOND, ppid: Number(fields[1]) };
}

/** Whether CPU shares can be read here (Linux /proc). */
export function cpuSharesReadable(): boolean {
  return existsSync('/proc/self/stat');
}

/**
 * The server's CPU is its postmaster's own and reaped children's (backends that have exited) plus
 * every live child's (backends, autovacuum, checkpointer...): a backend started and ended between two
 * snapshots is counted by the postmaster's reaped time.
 */
export function cpuSnapshot(parts: CpuParts): CpuSnapshot {
  const postmaster = times(parts.postmasterPid);
  let server = postmaster ? postmaster.own + postmaster.reaped : 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const child = times(Number(entry));
    if (child?.ppid === parts.postmasterPid) server += child.own;
  }
  const own = (pid?: number) => (pid === undefined ? 0 : (times(pid)?.own ?? 0));
  const usage = process.cpuUsage();
  return {
    server,
    pooler: own(parts.poolerPid),
    replicas: parts.replicaPids.reduce((sum, pid) => sum + own(pid), 0),
    bench: (usage.user + usage.system) / 1e6,
    ...machineTimes(),
  };
}

/** The first line of /proc/stat: user nice system idle iowait irq softirq steal, in ticks of all cores together. */
function machineTimes(): { busy: number; idle: number } {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = ticks.map(Number);
  return { busy: (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND, idle: (idle + iowait) / TICKS_PER_SECOND };
}

/**
 * Milliseconds of CPU per request, per part, between two snapshots; `other` is the machine's busy
 * time no part accounts for (the kernel's network work in softirq threads, other processes), and
 * the share of the machine's cores left idle.
 */
export function cpuPerRequest(before: CpuSnapshot, after: CpuSnapshot, requests: number): string {
  const spent = (part: keyof CpuSnapshot) => after[part] - before[part];
  const ms = (seconds: number) => ((seconds * 1000) / Math.max(1, requests)).toFixed(2);
  const counted = (['server', 'pooler', 'replicas', 'bench'] as const).reduce((sum, part) => sum + spent(part), 0);
  const idle = (spent('idle') / Math.max(1e-9, spent('idle') + spent('busy'))) * 100;
  return (
    `server ${ms(spent('server'))}, pooler ${ms(spent('pooler'))}, replicas ${ms(spent('replicas'))}, load generator ${ms(spent('bench'))},` +
    ` other ${ms(Math.max(0, spent('busy') - counted))} ms; ${idle.toFixed(0)} % of ${cpus().length} cores idle`
  );
}

/** The postmaster's pid, from the first line of postmaster.pid in its data directory. */
export function postmasterPid(dataDir: string): number {
  return Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}
