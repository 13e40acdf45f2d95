import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..');

interface Case {
  file: string;
  code: string;
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
    const results = cases.map(({ file, code }) =>
      linter
        .verify(code, [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, plugins: { tenantry: boundaries }, rules: { 'tenantry/boundaries': 'error' } }], { filename: process.cwd() + '/' + file })
        .map((message) => message.message),
    );
    process.stdout.write(JSON.stringify(results));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(cases)], { cwd: root, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`linting the cases failed:\n${run.stderr}`);
  return JSON.parse(run.stdout) as string[][];
}

describe('tenantry/boundaries', () => {
  it('refuses an import from one app into another, tests included, and from a lib, the e2e support or a dev tool into an app', () => {
    const [appToApp, testToApp, libToApp, supportToApp, toolToApp] = lint([
      { file: 'apps/admin-api/src/tenants/x.ts', code: `import { createWorker } from '../../../provisioning-worker/src/create-worker';` },
      { file: 'apps/migration-runner/test/x.e2e-spec.ts', code: `import { createAdminApp } from '../../admin-api/src/create-admin-app';` },
      { file: 'libs/registry/src/x.ts', code: `export * from '../../../apps/admin-api/src/admin-api-settings';` },
      { file: 'test/support/x.ts', code: `import { createAdminApp } from '../../apps/admin-api/src/create-admin-app';` },
      { file: 'tools/dev-issuer/x.ts', code: `import { adminApiSettings } from '../../apps/admin-api/src/admin-api-settings';` },
    ]);
    expect(appToApp).toEqual(['an app never imports another app (apps/admin-api -> apps/provisioning-worker)']);
    expect(testToApp).toEqual(['an app never imports another app (apps/migration-runner -> apps/admin-api)']);
    expect(libToApp).toEqual(['a lib never imports an app (libs/registry -> apps/admin-api)']);
    expect(supportToApp).toEqual([`test/support never imports an app's sources (test/support -> apps/admin-api): it starts the built apps`]);
    expect(toolToApp).toEqual([`tools/dev-issuer never imports an app's sources (tools/dev-issuer -> apps/admin-api): it starts the built apps`]);
  });

  it('refuses a lib, the e2e support or a dev tool reached by a path or a deep alias, and a unit importing its own alias', () => {
    const [byPath, testingByPath, supportByPath, toolByPath, deepAlias, ownAlias, ownTestingAlias, dynamic] = lint([
      { file: 'apps/admin-api/src/x.ts', code: `import { TenantEntity } from '../../../libs/registry/src/entities/tenant.entity';` },
      { file: 'libs/engines/src/x.spec.ts', code: `import { forgeAlgNone } from '../../auth/testing/forged-tokens';` },
      { file: 'apps/admin-api/test/x.e2e-spec.ts', code: `import { startControlPlane } from '../../../test/support/control-plane';` },
      { file: 'scripts/x.e2e-spec.ts', code: `import { LocalIssuer } from '../tools/dev-issuer';` },
      { file: 'apps/admin-api/src/x.ts', code: `import type { TenantEntity } from '@tenantry/registry/src/entities/tenant.entity';` },
      { file: 'libs/registry/src/placement/x.ts', code: `import { TenantRegistry } from '@tenantry/registry';` },
      { file: 'libs/registry/testing/x.ts', code: `import { testRegistry } from '@tenantry/registry/testing';` },
      { file: 'bench/x.ts', code: `const lazy = () => import('../libs/common/src/errors');` },
    ]);
    expect(byPath).toEqual([`import libs/registry through its public index, '@tenantry/registry', not by a path into it`]);
    expect(testingByPath).toEqual([`import libs/auth through its public index, '@tenantry/auth/testing', not by a path into it`]);
    expect(supportByPath).toEqual([`import test/support through '@tenantry/test-support', not by a path into it`]);
    expect(toolByPath).toEqual([`import tools/dev-issuer through '@tenantry/dev-issuer', not by a path into it`]);
    expect(deepAlias).toEqual([
      `'@tenantry/registry/src/entities/tenant.entity' reaches into registry: import '@tenantry/registry' (or '@tenantry/registry/testing') and let its index export what is needed`,
    ]);
    expect(ownAlias).toEqual([`libs/registry imports its own alias '@tenantry/registry': import the file relatively (the index would import this file back)`]);
    expect(ownTestingAlias).toEqual([
      `libs/registry imports its own alias '@tenantry/registry/testing': import the file relatively (the index would import this file back)`,
    ]);
    expect(dynamic).toEqual([`import libs/common through its public index, '@tenantry/common', not by a path into it`]);
  });

  it('refuses test code and the dev issuer in production code (apps/*/src, libs/*/src), by alias or by path', () => {
    const [testingAlias, support, devIssuer, ownTesting, appTest] = lint([
      { file: 'apps/admin-api/src/tenants/x.ts', code: `import { createTestEnv } from '@tenantry/common/testing';` },
      { file: 'libs/tenancy/src/x.ts', code: `import { startControlPlane } from '@tenantry/test-support';` },
      { file: 'apps/sample-business-api/src/auth/x.ts', code: `import { LocalIssuer } from '@tenantry/dev-issuer';` },
      { file: 'libs/registry/src/x.ts', code: `import { testRegistry } from '../testing/test-registry';` },
      { file: 'apps/admin-api/src/x.ts', code: `import { helper } from '../test/helper';` },
    ]);
    expect(testingAlias).toEqual([`production code never imports test code or a dev tool: apps/admin-api/src imports '@tenantry/common/testing'`]);
    expect(support).toEqual([`production code never imports test code or a dev tool: libs/tenancy/src imports '@tenantry/test-support'`]);
    expect(devIssuer).toEqual([`production code never imports test code or a dev tool: apps/sample-business-api/src imports '@tenantry/dev-issuer'`]);
    expect(ownTesting).toEqual(['production code never imports test code (libs/registry/src -> libs/registry/testing)']);
    expect(appTest).toEqual(['production code never imports test code (apps/admin-api/src -> apps/admin-api/test)']);
  });

  it('admits what the tree is built from: public indexes and test aliases in tests, a unit’s own files, a testing folder’s own src/, tools reaching apps', () => {
    const results = lint([
      {
        file: 'apps/admin-api/src/tenants/x.ts',
        code: `import { TenantRegistry } from '@tenantry/registry';\nimport { Actor } from './actor';\nimport { ADMISSION_OPTIONS } from '../admin-api-settings';`,
      },
      {
        file: 'apps/admin-api/src/tenants/x.int-spec.ts',
        code: `import { forgeAlgNone } from '@tenantry/auth/testing';\nimport { createTestEnv } from '@tenantry/common/testing';\nimport { LocalIssuer } from '@tenantry/dev-issuer';`,
      },
      {
        file: 'apps/admin-api/test/x.e2e-spec.ts',
        code: `import { startControlPlane } from '@tenantry/test-support';\nimport { testRegistry } from '@tenantry/registry/testing';`,
      },
      { file: 'libs/common/testing/x.ts', code: `import type { RawEnv } from '../src';` },
      { file: 'libs/engines/testing/x.ts', code: `import { parseElasticPoolId } from '../src/azure-sql/elastic-pool';` },
      {
        file: 'test/support/x.ts',
        code: `import { spawnBuiltApp } from '@tenantry/common/testing';\nimport { LocalIssuer } from '@tenantry/dev-issuer';\nimport { built } from './built-apps';`,
      },
      { file: 'scripts/testing/x.ts', code: `import { adminApiSettings } from '../../apps/admin-api/src/admin-api-settings';` },
      { file: 'bench/x.ts', code: `import { OrdersService } from '../apps/sample-business-api/src/orders/orders.service';` },
    ]);
    expect(results).toEqual([[], [], [], [], [], [], [], []]);
  });

  it('refuses an import of scripts/ or bench/ from an app or a lib', () => {
    const [fromApp] = lint([{ file: 'apps/admin-api/src/x.ts', code: `import { closedLoop } from '../../../bench/bench-support';` }]);
    expect(fromApp).toEqual(['apps/admin-api imports bench: nothing imports scripts/ or bench/']);
  });
});
