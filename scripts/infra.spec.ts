import { loadSettings, TENANT_OPERATIONS_QUEUE } from '@tenantry/common';
import { operationQueueSettings } from '@tenantry/registry';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { backlogKeys, BicepProgram, type ResourceDeclaration } from './testing/bicep';
import { variablesRead } from './testing/process-settings';

// No Bicep compiler can be installed here (it downloads a binary), so this checks what holds
// without one: parameter files and module calls against the parameters they fill, file
// references, role ids, secrets, the names the templates share with the code, and every resource
// against the facts of the published Bicep type definitions (infra/bicep-types.json).

const root = resolve(__dirname, '..');
const infra = join(root, 'infra');
const read = (file: string) => readFileSync(file, 'utf8');
const bicepFiles = [join(infra, 'main.bicep'), ...readdirSync(join(infra, 'modules')).map((file) => join(infra, 'modules', file))];
const parameterFiles = readdirSync(join(infra, 'parameters')).map((file) => join(infra, 'parameters', file));

interface DeclaredParam {
  name: string;
  required: boolean;
  secure: boolean;
  defaultValue?: string;
}

function declaredParams(source: string): DeclaredParam[] {
  const params: DeclaredParam[] = [];
  let secure = false;
  for (const line of source.split('\n')) {
    if (/^@secure\(\)/.test(line)) secure = true;
    const match = /^param\s+(\w+)\s+([^=]+?)(?:\s*=\s*(.+))?$/.exec(line);
    if (!match) continue;
    const [, name, type, defaultValue] = match;
    params.push({ name, required: defaultValue === undefined && !type.trim().endsWith('?'), secure, defaultValue });
    secure = false;
  }
  return params;
}

function assignedParams(source: string): Map<string, string> {
  return new Map([...source.matchAll(/^param\s+(\w+)\s*=\s*(.+)$/gm)].map(([, name, value]) => [name, value.trim()]));
}

const mainParams = declaredParams(read(join(infra, 'main.bicep')));

/** The keys at the top level of the object literal that opens at `start` (strings and comments skipped). */
function topLevelKeys(source: string, start: number): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = start; i < source.length; i++) {
    const char = source[i];
    if (char === "'") {
      i = source.indexOf("'", i + 1);
      continue;
    }
    if (source.startsWith('//', i)) {
      i = source.indexOf('\n', i) - 1;
      continue;
    }
    if ('{[('.includes(char)) depth++;
    if ('}])'.includes(char) && --depth === 0) return keys;
    if (depth === 1 && char === '\n') {
      const key = /^\s*(\w+):/.exec(source.slice(i + 1))?.[1];
      if (key) keys.push(key);
    }
  }
  throw new Error(`unclosed object at ${start}`);
}

interface ModuleCall {
  file: string;
  symbol: string;
  path: string;
  params: string[];
}

function moduleCalls(file: string): ModuleCall[] {
  const source = read(file);
  return [...source.matchAll(/^module\s+(\w+)\s+'([^']+)'\s*=/gm)].map((match) => {
    const paramsAt = source.indexOf('params: {', match.index);
    return { file, symbol: match[1], path: resolve(dirname(file), match[2]), params: topLevelKeys(source, source.indexOf('{', paramsAt)) };
  });
}

describe('infra parameter files', () => {
  it('there is one for dev and one for prod', () => {
    const names = parameterFiles.map((file) => file.split('/').pop());
    expect(names).toEqual(expect.arrayContaining(['dev.bicepparam', 'prod.bicepparam']));
  });

  it.each(parameterFiles)('%s uses main.bicep, sets only its parameters and every required one', (file) => {
    const source = read(file);
    const using = /^using\s+'([^']+)'/m.exec(source)?.[1];
    expect(using && resolve(dirname(file), using)).toBe(join(infra, 'main.bicep'));

    const assigned = assignedParams(source);
    const declared = new Set(mainParams.map((param) => param.name));
    expect([...assigned.keys()].filter((name) => !declared.has(name))).toEqual([]);
    const missing = mainParams.filter((param) => param.required && !assigned.has(param.name)).map((param) => param.name);
    expect(missing).toEqual([]);
  });

  it.each(parameterFiles)('%s takes every secure parameter from the environment, never a literal', (file) => {
    const assigned = assignedParams(read(file));
    const secure = mainParams.filter((param) => param.secure);
    expect(secure.map((param) => param.name)).toEqual(expect.arrayContaining(['adminDatabasePassword', 'sqlAdministratorPassword', 'bullBoardPassword']));
    for (const param of secure) {
      const value = assigned.get(param.name);
      if (value !== undefined) expect(value).toMatch(/^readEnvironmentVariable\('TENANTRY_[A-Z_]+'(, '')?\)$/);
    }
  });

  it.each(parameterFiles)('%s names the clients or audiences a token must carry (production mode refuses to start without)', (file) => {
    const assigned = assignedParams(read(file));
    const names = (param: string) => [...(assigned.get(param) ?? '').matchAll(/'([^']+)'/g)].map(([, name]) => name);
    expect([...names('authClients'), ...names('authAudiences')].length).toBeGreaterThan(0);
  });
});

describe('infra templates', () => {
  it.each(bicepFiles)('%s references only files that exist', (file) => {
    const source = read(file);
    const references = [...source.matchAll(/^\s*(?:module\s+\w+|import\s+[^']*from)\s+'([^']+)'/gm)].map(([, path]) => path);
    for (const reference of references) expect(existsSync(resolve(dirname(file), reference))).toBe(true);
  });

  it.each(bicepFiles)('%s calls each module with exactly the parameters it needs and reads only outputs it has', (file) => {
    for (const call of moduleCalls(file)) {
      const module = read(call.path);
      const declared = declaredParams(module);
      const where = `${file.split('/').pop()}: module ${call.symbol}`;
      expect({ where, unknown: call.params.filter((name) => !declared.some((param) => param.name === name)) }).toEqual({ where, unknown: [] });
      const missing = declared.filter((param) => param.required && !call.params.includes(param.name)).map((param) => param.name);
      expect({ where, missing }).toEqual({ where, missing: [] });
      const outputs = new Set([...module.matchAll(/^output\s+(\w+)\s/gm)].map(([, name]) => name));
      const used = [...read(file).matchAll(new RegExp(`\\b${call.symbol}\\.outputs\\.(\\w+)`, 'g'))].map(([, name]) => name);
      expect({ where, missingOutputs: used.filter((name) => !outputs.has(name)) }).toEqual({ where, missingOutputs: [] });
    }
  });

  it('every module is used and main.bicep deploys to a resource group', () => {
    const main = read(join(infra, 'main.bicep'));
    const referenced = new Set(
      bicepFiles.flatMap((file) => [...read(file).matchAll(/'((?:modules\/)?[\w-]+\.bicep)'/g)].map(([, path]) => path.replace('modules/', ''))),
    );
    const modules = readdirSync(join(infra, 'modules'));
    expect(modules.filter((module) => !referenced.has(module))).toEqual([]);
    expect(main).toContain("targetScope = 'resourceGroup'");
  });

  it('grants the documented built-in roles', () => {
    // https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
    const documented: Record<string, string> = {
      acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
      keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
      keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
      // built-in-roles/security.md: "Read metadata of keys and perform wrap/unwrap operations."
      keyVaultCryptoServiceEncryptionUser: 'e147488a-f6f5-4113-8e2d-b22465e65bf6',
      sqlDbContributor: '9b7fa17d-e63e-47b0-bb0a-15c516ac86ec',
      reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
      storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
      // "Azure AI Enterprise Network Connection Approver" (built-in-roles/ai-machine-learning.md).
      privateEndpointConnectionApprover: 'b556d68e-0be0-4f35-a333-ad7ee1ce17ea',
    };
    const shared = read(join(infra, 'modules', 'shared.bicep'));
    const block = /var builtInRoles = \{([^}]*)\}/.exec(shared)?.[1] ?? '';
    const declared = Object.fromEntries([...block.matchAll(/(\w+):\s*'([0-9a-f-]{36})'/g)].map(([, name, id]) => [name, id]));
    expect(declared).toEqual(documented);
    const guids = bicepFiles.flatMap((file) => [...read(file).matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g)].map(([id]) => id));
    expect(guids.filter((id) => !Object.values(documented).includes(id))).toEqual([]);
  });

  it('grants the control plane no more on the SQL server than databases, pool reads and endpoint approvals (issue 13, point 8)', () => {
    const sql = read(join(infra, 'modules', 'sql.bicep'));
    expect(sql).not.toMatch(/sqlServerContributor|6d8ee4ec-f05a-4a1d-8b00-a9b17e38b437/);
    expect(
      /var serverRoles = \[([^\]]*)\]/
        .exec(sql)?.[1]
        .split(',')
        .map((role) => role.trim()),
    ).toEqual(['builtInRoles.sqlDbContributor', 'builtInRoles.privateEndpointConnectionApprover']);
    expect(sql).toMatch(/scope: pools\[i\][\s\S]*?builtInRoles\.reader/);
  });

  it('holds no secret: secure parameters have no default, no literal looks like a credential', () => {
    for (const file of bicepFiles) {
      for (const param of declaredParams(read(file)).filter((p) => p.secure)) {
        expect([undefined, "''"]).toContain(param.defaultValue);
      }
    }
    const credential = /(password|secret|key)\w*\s*[:=]\s*'(?![A-Za-z]+')[^'$]{6,}'|AccountKey=|SharedAccessSignature|-----BEGIN|sig=[A-Za-z0-9%]{10,}/i;
    expect(["administratorPassword: 'Hunter2!xyz'", "param sqlAdministratorPassword = 'Tenantry!2026'", 'AccountKey=abc'].every((line) => credential.test(line))).toBe(
      true,
    );
    for (const file of [...bicepFiles, ...parameterFiles, join(infra, 'Dockerfile')]) {
      const hits = read(file)
        .split('\n')
        .filter((line) => credential.test(line) && !/secretName: '[\w-]+'|secretRef: '[\w-]+'|'[0-9a-f]{8}-[0-9a-f-]{27}'/.test(line));
      expect({ file, hits }).toEqual({ file, hits: [] });
    }
  });
});

interface TypeFacts {
  source: string;
  commit: string;
  /** Property path -> its type line in the definitions; a path ending in .* is a dictionary's value. */
  properties: Record<string, string>;
}

/** The alternatives of a closed enum ('A' | 'B', no `| string`), or undefined for an open type. */
function closedEnum(type: string): string[] | undefined {
  const head = type.split(' (')[0].split(' {')[0];
  if (!/^'[^']*'( \| '[^']*')*$/.test(head)) return undefined;
  return [...head.matchAll(/'([^']*)'/g)].map(([, value]) => value);
}

/** What a literal written at a path must satisfy: the enum, the pattern and the length bounds of its type. */
function literalProblem(type: string, value: string): string | undefined {
  const choices = closedEnum(type);
  if (choices && !choices.includes(value)) return `'${value}' is none of ${choices.join(', ')}`;
  const pattern = /pattern: "((?:[^"\\]|\\.)*)"/.exec(type)?.[1];
  if (pattern && !new RegExp(pattern).test(value)) return `'${value}' does not match ${pattern}`;
  const min = Number(/minLength: (\d+)/.exec(type)?.[1] ?? 0);
  const max = Number(/maxLength: (\d+)/.exec(type)?.[1] ?? Infinity);
  if (value.length < min || value.length > max) return `'${value}' is not ${min}-${max} characters long`;
  return undefined;
}

describe('infra templates against the published Bicep type definitions (infra/bicep-types.json)', () => {
  const facts = JSON.parse(read(join(infra, 'bicep-types.json'))) as { repository: string; types: Record<string, TypeFacts> };
  const program = new BicepProgram(bicepFiles);
  const resources = program.all.flatMap((file) => file.resources);
  const label = (resource: ResourceDeclaration) => `${resource.file.split('/').pop()}: ${resource.symbol} (${resource.type}@${resource.version})`;
  const factsOf = (resource: ResourceDeclaration) => facts.types[`${resource.type}@${resource.version}`];
  const used = new Map<string, Set<string>>();

  /** The fact a path matches: itself, or the dictionary it is a key of. */
  function factKey(typeFacts: TypeFacts, path: string): string | undefined {
    if (path in typeFacts.properties) return path;
    const parts = path.split('.');
    for (let i = parts.length - 1; i > 0; i--) {
      const dictionary = `${parts.slice(0, i).join('.')}.*`;
      if (dictionary in typeFacts.properties && parts.length === i + 1) return dictionary;
    }
    return undefined;
  }

  function markUsed(resource: ResourceDeclaration, key: string): void {
    const type = `${resource.type}@${resource.version}`;
    used.set(type, (used.get(type) ?? new Set()).add(key));
  }

  it('finds every resource the templates declare', () => {
    expect(resources.length).toBeGreaterThan(20);
    expect(resources.map((resource) => resource.type)).toEqual(
      expect.arrayContaining(['Microsoft.Sql/servers', 'Microsoft.App/containerApps', 'Microsoft.Storage/storageAccounts']),
    );
  });

  it.each(resources.map((resource) => [label(resource), resource] as const))('%s: its type and API version exist, and the version is GA', (_, resource) => {
    const typeFacts = factsOf(resource);
    expect({ resource: label(resource), known: typeFacts !== undefined }).toEqual({ resource: label(resource), known: true });
    expect(resource.version).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(typeFacts.source).toMatch(new RegExp(`^generated/[^/]+/${resource.type.split('/')[0].toLowerCase()}/${resource.version}/types\\.md$`));
    expect(typeFacts.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it.each(resources.map((resource) => [label(resource), resource] as const))(
    '%s: writes only properties its type has, none read-only, literals its type allows',
    (_, resource) => {
      const typeFacts = factsOf(resource);
      const problems: string[] = [];
      for (const [path, values] of program.writes(resource)) {
        const key = factKey(typeFacts, path);
        if (!key) {
          problems.push(`${path}: not a property of ${resource.type}@${resource.version}`);
          continue;
        }
        markUsed(resource, key);
        const type = typeFacts.properties[key];
        if (/\(([^)]*, )?ReadOnly/.test(type)) problems.push(`${path}: read-only (${type})`);
        for (const value of values) {
          const problem = value === null ? undefined : literalProblem(type, value);
          if (problem) problems.push(`${path}: ${problem}`);
        }
      }
      expect({ resource: label(resource), problems }).toEqual({ resource: label(resource), problems: [] });
    },
  );

  it.each(resources.map((resource) => [label(resource), resource] as const))('%s: reads only properties its type has', (_, resource) => {
    const typeFacts = factsOf(resource);
    const unknown = program.reads(resource).filter((path) => {
      const key = factKey(typeFacts, path);
      if (key) markUsed(resource, key);
      return !key;
    });
    expect({ resource: label(resource), unknown }).toEqual({ resource: label(resource), unknown: [] });
  });

  it('lists only what the templates use, so that the file stays the record of what they rely on', () => {
    // Runs after the checks above, which note each fact they match.
    const unused = Object.entries(facts.types).flatMap(([type, typeFacts]) =>
      Object.keys(typeFacts.properties)
        .filter((path) => !used.get(type)?.has(path))
        .map((path) => `${type} ${path}`),
    );
    expect(unused).toEqual([]);
    expect(Object.keys(facts.types).filter((type) => !resources.some((resource) => `${resource.type}@${resource.version}` === type))).toEqual([]);
  });

  it('catches what it is meant to catch', () => {
    const storage = facts.types['Microsoft.Storage/storageAccounts@2025-01-01'];
    expect(literalProblem(storage.properties['properties.networkAcls.defaultAction'], 'Block')).toBe("'Block' is none of Allow, Deny");
    expect(literalProblem(storage.properties.name, 'Tenantry-Exports')).toMatch(/does not match/);
    expect(literalProblem(storage.properties['properties.minimumTlsVersion'], 'TLS9')).toBeUndefined();
    expect(factKey(storage, 'properties.allowSharedKeyAccess')).toBe('properties.allowSharedKeyAccess');
    expect(factKey(storage, 'properties.allowSharedKeyAcess')).toBeUndefined();
    expect(factKey(facts.types['Microsoft.App/containerApps@2025-07-01'], 'properties.template.scale.rules.custom.metadata.listName')).toBe(
      'properties.template.scale.rules.custom.metadata.*',
    );
  });
});

describe('infra and the code agree', () => {
  const main = read(join(infra, 'main.bicep'));

  it('the worker scales on the whole BullMQ backlog of the queue the code uses, under the default prefix', () => {
    const defaults = loadSettings(operationQueueSettings, {});
    expect(/^var tenantOperationsQueue = '([^']+)'/m.exec(main)?.[1]).toBe(TENANT_OPERATIONS_QUEUE);
    expect(/^param queuePrefix string = '([^']+)'/m.exec(main)?.[1]).toBe(defaults.prefix);
    // scripts/worker-scaling.int-spec.ts checks these keys against a real BullMQ queue.
    expect(backlogKeys(main)).toEqual(['wait', 'prioritized', 'delayed', 'active']);
    expect(main).toMatch(/map\(backlogKeys, key => redisBacklogScaleRule\('\$\{queuePrefix\}:\$\{tenantOperationsQueue\}:\$\{key\}'/);
    expect(main).toMatch(/minReplicas: 0\s+maxReplicas: workerMaxReplicas/);
  });

  it('gives the worker the longest grace Container Apps allows, and stops taking jobs within it', () => {
    const grace = Number(/^var workerTerminationGraceSeconds = (\d+)$/m.exec(main)?.[1]);
    const app = read(join(infra, 'modules', 'container-app.bicep'));
    expect(Number(/@maxValue\((\d+)\)\nparam terminationGracePeriodSeconds/.exec(app)?.[1])).toBe(600);
    expect(grace).toBe(600);
    expect(main).toMatch(/terminationGracePeriodSeconds: workerTerminationGraceSeconds/);
    expect(main).toMatch(/\{ name: 'SHUTDOWN_TIMEOUT_MS', value: string\(workerShutdownTimeoutMs\) \}/);
    const shutdownMs = Number(/^var workerShutdownTimeoutMs = \(workerTerminationGraceSeconds - (\d+)\) \* 1000$/m.exec(main)?.[1]);
    expect(shutdownMs).toBeGreaterThan(0);
  });

  it('never deploys Entra tenant users or an Entra-only server, whose tenants nobody could sign in to', () => {
    const sql = read(join(infra, 'modules', 'sql.bicep'));
    expect(main).not.toMatch(/AZURE_SQL_TENANT_USERS|sqlEntraOnlyAuthentication/);
    expect(sql).toMatch(/azureADOnlyAuthentication: false/);
  });

  it('gives the worker an export destination it can use on a server without public access', () => {
    const worker = main.slice(main.indexOf("module worker '"), main.indexOf("module adminApi '"));
    expect(worker).toMatch(/env: concat\(controlPlaneEnv, exportEnv,/);
    const exportEnv = main.slice(main.indexOf('var exportEnv = ['), main.indexOf(']', main.indexOf('var exportEnv = [')));
    expect([...exportEnv.matchAll(/name: '(\w+)'/g)].map(([, name]) => name)).toEqual([
      'AZURE_SQL_EXPORT_URL',
      'AZURE_SQL_EXPORT_IDENTITY',
      'AZURE_SQL_EXPORT_STORAGE_ACCOUNT_ID',
    ]);
    // The identity the worker names is the one the server carries as its primary identity.
    expect(exportEnv).toMatch(/AZURE_SQL_EXPORT_IDENTITY', value: identities\.outputs\.controlPlane\.id/);
    expect(main).toMatch(/serverIdentityId: identities\.outputs\.controlPlane\.id/);
    expect(read(join(infra, 'modules', 'sql.bicep'))).toMatch(/primaryUserAssignedIdentityId: serverIdentityId/);
  });

  it('outputs for each elastic pool the body PUT /pools/:name takes, its SKU included (the admin API checks maxDatabases against it)', () => {
    const sql = read(join(infra, 'modules', 'sql.bicep'));
    const output = sql.slice(sql.indexOf('output pools array'));
    const body = output.slice(output.indexOf('body: {'), output.indexOf('\n    }'));
    const keys = [...body.matchAll(/^ {6}(\w+):/gm)].map(([, key]) => key);
    const dto = read(join(root, 'apps', 'admin-api', 'src', 'pools', 'dto', 'register-pool.dto.ts'));
    const taken = [...dto.slice(dto.indexOf('export class RegisterPoolDto')).matchAll(/^ {2}(\w+)[?!]?:/gm)].map(([, key]) => key);
    expect(keys.filter((key) => !taken.includes(key))).toEqual([]);
    expect(keys).toEqual(expect.arrayContaining(['engine', 'elasticPoolId', 'location', 'sku', 'maxDatabases']));
    expect(body).toMatch(/sku: \{ name: pool\.sku\.name, capacity: pool\.sku\.capacity \}/);
  });

  it('names the dev Key Vault so that a redeploy after deleting the deployment can take a new name', () => {
    expect(main).toMatch(/name: take\('kv\$\{compactPrefix\}\$\{keyVaultSuffix\}', 24\)/);
    expect(main).toMatch(/var keyVaultSuffix = empty\(keyVaultGeneration\) \? suffix : take\(uniqueString\(resourceGroup\(\)\.id, namePrefix, keyVaultGeneration\), 6\)/);
    const dev = assignedParams(read(join(infra, 'parameters', 'dev.bicepparam')));
    expect(dev.get('keyVaultGeneration')).toBe("readEnvironmentVariable('TENANTRY_KEY_VAULT_GENERATION', '')");
    expect(dev.get('keyVaultSoftDeleteRetentionDays')).toBe('7');
  });

  it('sets only environment variables the processes read', () => {
    const known = variablesRead();
    // Read by DefaultAzureCredential (@azure/identity) to pick the user-assigned identity.
    known.add('AZURE_CLIENT_ID');
    const set = [...new Set([...main.matchAll(/\{ name: '([A-Z][A-Z0-9_]+)', (?:value|secretRef):/g)].map(([, name]) => name))];
    expect(set.length).toBeGreaterThan(10);
    expect(set.filter((name) => !known.has(name))).toEqual([]);
  });

  it('every container runs an entry point the build produces', () => {
    const build = JSON.parse(read(join(root, 'package.json'))) as { scripts: Record<string, string> };
    expect(build.scripts.build).toContain('scripts/tsconfig.build.json');
    for (const [, entry] of main.matchAll(/command: \['node', '(dist\/[^']+)'\]/g)) {
      const source = join(root, entry.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
      expect({ entry, exists: existsSync(source) }).toEqual({ entry, exists: true });
    }
  });
});
