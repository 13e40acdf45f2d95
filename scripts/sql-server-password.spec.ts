import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

describe("the local SQL Server's sa password", () => {
  it("is docker-compose's default wherever the docs and tests show an MSSQL_URL", () => {
    const compose = /MSSQL_SA_PASSWORD: \$\{MSSQL_SA_PASSWORD:-([^}]+)\}/.exec(read('docker-compose.yml'));
    expect(compose).not.toBeNull();
    const files = ['README.md', 'docker-compose.yml', 'libs/engines/src/azure-sql/azure-sql.engine.mssql.int-spec.ts'];
    const shown = files.flatMap((file) => [...read(file).matchAll(/mssql:\/\/sa:([^@<\s]+)@/g)].map((match) => `${file}: ${match[1]}`));
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.filter((entry) => !entry.endsWith(`: ${compose?.[1]}`))).toEqual([]);
  });
});
