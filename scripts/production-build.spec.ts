import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';

const root = join(__dirname, '..');

/** Tests and their scaffolding: a spec, a lib's or the scripts' `testing/`, an app's `test/`, the shared `test/support`. */
const TEST_CODE = /(^|\/)(testing|test)\/|\.(spec|int-spec|e2e-spec)\.[jt]s$/;

function buildConfig(): ts.ParsedCommandLine {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(root, 'scripts/tsconfig.build.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error('scripts/tsconfig.build.json cannot be read');
  return parsed;
}

/** The repository's files a compilation of `rootNames` takes in, following every import (what tsc would emit). */
function compiledFiles(rootNames: string[], options: ts.CompilerOptions): string[] {
  return ts
    .createProgram({ rootNames, options })
    .getSourceFiles()
    .filter((file) => !file.isDeclarationFile && !file.fileName.includes('/node_modules/'))
    .map((file) => relative(root, file.fileName));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

describe('the production build holds no test code, and no production app reaches test code or a dev tool', () => {
  const config = buildConfig();

  it('npm run build (scripts/tsconfig.build.json) compiles no test, testing folder or test support, even through an import', () => {
    const files = compiledFiles(config.fileNames, config.options);
    expect(files).toContain('apps/admin-api/src/main.ts');
    expect(files.filter((file) => TEST_CODE.test(file))).toEqual([]);
  });

  it('the apps reach only apps/*/src and libs/*/src: never a testing folder, the dev issuer (tools/) or a script', () => {
    const apps = config.fileNames.filter((file) => /\/apps\/[^/]+\/src\//.test(file));
    const files = compiledFiles(apps, config.options);
    expect(files).toContain('libs/tenancy/src/index.ts');
    expect(files.filter((file) => !/^(apps|libs)\/[^/]+\/src\//.test(file))).toEqual([]);
  });

  it('dist/ holds no test code', () => {
    const dist = join(root, 'dist');
    if (!existsSync(join(dist, '.build-complete'))) throw new Error('dist/ is missing or incomplete: run "npm run build" first (npm test does)');
    const files = filesUnder(dist);
    expect(files).toContain('dist/apps/admin-api/src/main.js');
    expect(files.filter((file) => TEST_CODE.test(file))).toEqual([]);
  });
});
