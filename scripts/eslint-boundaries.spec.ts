import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..');

interface Case {
  file: string;
  code: string;
  allow?: Array<{ from: string; to: string }>;
}

/**
 * Lints each case's code as if it were that file of the tree, with tenantry/boundaries alone, and
 * returns the messages per case. A child process, because the rule is an ES module and Jest runs
 * these tests as CommonJS.
 */
function lint(cases: Case[]): string[][] {
  const script = `
    import { Linter } from 'eslint';
    import tseslint from 'typescript-eslint';
    import { boundaries } from './scripts/eslint-boundaries.mjs';
    const cases = JSON.parse(process.argv[1]);
    const linter = new Linter({ configType: 'flat' });
    const results = cases.map(({ file, code, allow }) =>
      linter
        .verify(code, [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, plugins: { tenantry: boundaries }, rules: { 'tenantry/boundaries': ['error', { allow: allow ?? [] }] } }], { filename: process.cwd() + '/' + file })
        .map((message) => message.message),
    );
    process.stdout.write(JSON.stringify(results));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(cases)], { cwd: root, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`linting the cases failed:\n${run.stderr}`);
  return JSON.parse(run.stdout) as string[][];
}

describe('tenantry/boundaries', () => {
  it('refuses an import from one app into another, tests included, and from a lib into an app', () => {
    const [appToApp, testToApp, libToApp] = lint([
      { file: 'apps/admin-api/src/tenants/x.ts', code: `import { createWorker } from '../../../provisioning-worker/src/create-worker';` },
      { file: 'apps/migration-runner/test/x.e2e-spec.ts', code: `import { startControlPlane } from '../../admin-api/test/control-plane.harness';` },
      { file: 'libs/registry/src/x.ts', code: `export * from '../../../apps/admin-api/src/admin-api-settings';` },
    ]);
    expect(appToApp).toEqual(['an app never imports another app (apps/admin-api -> apps/provisioning-worker)']);
    expect(testToApp).toEqual(['an app never imports another app (apps/migration-runner -> apps/admin-api)']);
    expect(libToApp).toEqual(['a lib never imports an app (libs/registry -> apps/admin-api)']);
  });

  it('refuses a lib reached by a path or a deep alias, and a lib importing its own alias', () => {
    const [byPath, testingByPath, deepAlias, ownAlias, dynamic] = lint([
      { file: 'apps/admin-api/src/x.ts', code: `import { TenantEntity } from '../../../libs/registry/src/entities/tenant.entity';` },
      { file: 'libs/engines/src/x.spec.ts', code: `import { LocalIssuer } from '../../auth/testing/local-issuer';` },
      { file: 'apps/admin-api/src/x.ts', code: `import type { TenantEntity } from '@tenantry/registry/src/entities/tenant.entity';` },
      { file: 'libs/registry/src/placement/x.ts', code: `import { TenantRegistry } from '@tenantry/registry';` },
      { file: 'bench/x.ts', code: `const lazy = () => import('../libs/common/src/errors');` },
    ]);
    expect(byPath).toEqual([`import libs/registry through its public index, '@tenantry/registry', not by a path into it`]);
    expect(testingByPath).toEqual([`import libs/auth through its public index, '@tenantry/auth/testing', not by a path into it`]);
    expect(deepAlias).toEqual([
      `'@tenantry/registry/src/entities/tenant.entity' reaches into registry: import '@tenantry/registry' (or '@tenantry/registry/testing') and let its index export what is needed`,
    ]);
    expect(ownAlias).toEqual([`libs/registry imports its own alias '@tenantry/registry': import the file relatively (the index would import this file back)`]);
    expect(dynamic).toEqual([`import libs/common through its public index, '@tenantry/common', not by a path into it`]);
  });

  it('admits what the tree is built from: public indexes, a unit’s own files, tools reaching apps, and named exceptions', () => {
    const results = lint([
      {
        file: 'apps/admin-api/src/tenants/x.ts',
        code: `import { TenantRegistry } from '@tenantry/registry';\nimport { LocalIssuer } from '@tenantry/auth/testing';\nimport { createTestEnv } from '@tenantry/testing';\nimport { Actor } from './actor';\nimport { ADMISSION_OPTIONS } from '../admin-api-settings';`,
      },
      { file: 'libs/common/testing/x.ts', code: `import type { RawEnv } from '../src';` },
      { file: 'bench/x.ts', code: `import { OrdersService } from '../apps/sample-business-api/src/orders/orders.service';` },
      {
        file: 'apps/migration-runner/test/x.e2e-spec.ts',
        code: `import { startControlPlane } from '../../admin-api/test/control-plane.harness';`,
        allow: [{ from: 'apps/*/test/**', to: 'apps/admin-api/test/control-plane.harness.ts' }],
      },
    ]);
    expect(results).toEqual([[], [], [], []]);
  });

  it('refuses an import of scripts/ or bench/ from an app or a lib', () => {
    const [fromApp] = lint([{ file: 'apps/admin-api/src/x.ts', code: `import { closedLoop } from '../../../bench/bench-support';` }]);
    expect(fromApp).toEqual(['apps/admin-api imports bench: nothing imports scripts/ or bench/']);
  });
});
