import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { RegisterPoolDto } from '../../pools/dto/register-pool.dto';
import { RegisterServerDto } from './register-server.dto';

const server = (host: string, poolerHost = 'pgbouncer-2') =>
  plainToInstance(RegisterServerDto, { engine: 'postgres', host, port: 5432, region: 'local', maxDatabases: 10, pooler: { host: poolerHost, port: 6432 } });

async function problems(dto: object): Promise<string[]> {
  const errors = await validate(dto);
  const messages = (error: (typeof errors)[number]): string[] => [...Object.values(error.constraints ?? {}), ...(error.children ?? []).flatMap(messages)];
  return errors.flatMap(messages);
}

describe('a server or pooler host', () => {
  it.each(['127.0.0.1', 'localhost', 'pg-2.internal', 'sql-weu-1.database.windows.net', 'tenantry_postgres', 'PG-2.Example.COM'])('takes %s', async (host) => {
    expect(await problems(server(host, host))).toEqual([]);
    expect(await problems(plainToInstance(RegisterPoolDto, { engine: 'postgres', host, port: 5432, maxDatabases: 1 }))).toEqual([]);
  });

  it.each(['evil/host', 'admin@pg-2', 'pg-2:5433', 'pg 2', '-pg', 'pg.', '', '::1', 'a'.repeat(256), 'pg-2?sslmode=disable'])(
    'refuses %j, saying what a host may hold',
    async (host) => {
      expect(await problems(server(host))).toEqual([expect.stringContaining('host must be a DNS name or an IPv4 address')]);
      expect(await problems(server('pg-2', host))).toEqual([expect.stringContaining('host must be a DNS name or an IPv4 address')]);
      expect(await problems(plainToInstance(RegisterPoolDto, { engine: 'postgres', host, port: 5432, maxDatabases: 1 }))).toEqual([
        expect.stringContaining('host must be a DNS name or an IPv4 address'),
      ]);
    },
  );
});
