import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { childProcessEnv } from '@tenantry/common/testing';

const root = resolve(__dirname, '..');

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => done({ server, port: (server.address() as { port: number }).port }));
  });
}

describe('npm start (scripts/start.sh) checks every port before it starts anything', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tenantry-start-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['WORKER_METRICS_PORT', 'ADMIN_API_PORT', 'BUSINESS_API_PORT', 'DEV_ISSUER_PORT'])(
    'stops at once, naming %s, when its port is taken',
    async (setting) => {
      const { server, port } = await listen();
      const free = await Promise.all([listen(), listen(), listen(), listen()]);
      // Free ports for the others, known to be free once these servers close.
      const ports: Record<string, string> = {};
      ['WORKER_METRICS_PORT', 'ADMIN_API_PORT', 'BUSINESS_API_PORT', 'DEV_ISSUER_PORT'].forEach((name, i) => (ports[name] = String(free[i].port)));
      await Promise.all(free.map(({ server: s }) => new Promise((closed) => s.close(closed))));
      try {
        const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
          const child = execFile('bash', ['scripts/start.sh'], {
            cwd: root,
            env: childProcessEnv({ ...ports, [setting]: String(port), TENANTRY_DEV_ENV: join(dir, 'dev.env') }),
            timeout: 240_000,
          }, (error, stdout, stderr) => done({ code: child.exitCode ?? (error ? 1 : 0), stdout, stderr }));
        });
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`port ${port} (${setting}) is already in use`);
        // Nothing was built or started.
        expect(result.stdout).not.toContain('building');
        expect(result.stdout).not.toContain('Tenantry is running');
      } finally {
        server.close();
      }
    },
  );
});
