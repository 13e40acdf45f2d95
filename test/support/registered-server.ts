import type { ControlPlane } from './control-plane';

/** Registers a PostgreSQL server on this machine (trust authentication: the password is never checked) through PUT /servers. */
export async function registerLocalServer(plane: ControlPlane, name: string, port: number, maxDatabases = 20): Promise<void> {
  const registered = await plane.admin('PUT', `/servers/${name}`, {
    engine: 'postgres',
    host: '127.0.0.1',
    port,
    region: 'local',
    maxDatabases,
    login: 'postgres',
    password: 'trusted-anyway',
  });
  if (registered.status !== 200) throw new Error(`PUT /servers/${name}: ${registered.status} ${JSON.stringify(registered.body)}`);
}
