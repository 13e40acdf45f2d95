import { DEV_ISSUER_KEY_FILE, LocalIssuer } from '@tenantry/dev-issuer';
import { parseArgs } from 'node:util';

const USAGE = `Usage: node dist/scripts/mint-token.js (--admin | --tenant <code or id>) [options]

Prints one Keycloak-shaped access token (typ Bearer) signed by the local dev issuer's key (${DEV_ISSUER_KEY_FILE},
written by npm start).

  --admin                a platform admin's token, for the admin API
  --tenant <code or id>  a business user's token for that tenant (e.g. --tenant acme); a code is
                         looked up through the admin API, which must be running
  --sub <subject>        the user (default dev-user)
  --ttl <seconds>        lifetime (default 3600)
  --issuer <url>         the realm URL (default AUTH_ISSUER, or http://127.0.0.1:8081/realms/tenantry)
  --admin-api <url>      where to look a tenant code up (default http://127.0.0.1:<ADMIN_API_PORT or 3000>)
  -h, --help             this text
`;

const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The tenant's id: given as is, or the one the admin API knows for a code. */
async function tenantIdOf(codeOrId: string, adminApi: string, issuer: LocalIssuer): Promise<string> {
  if (TENANT_ID.test(codeOrId)) return codeOrId.toLowerCase();
  const token = await issuer.mint({ sub: 'mint-token', preferred_username: 'mint-token', roles: ['platform-admin'] }, { expiresInSeconds: 60 });
  let response: Response;
  try {
    response = await fetch(`${adminApi}/tenants/${encodeURIComponent(codeOrId)}`, { headers: { authorization: `Bearer ${token}` } });
  } catch {
    throw new Error(`cannot look up tenant "${codeOrId}": no admin API answers at ${adminApi} (is npm start running? --admin-api names another)`);
  }
  if (response.status === 404) throw new Error(`no tenant with code "${codeOrId}" (GET ${adminApi}/tenants/${codeOrId} answered 404)`);
  if (!response.ok) throw new Error(`looking up tenant "${codeOrId}": the admin API answered ${response.status} ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      admin: { type: 'boolean', default: false },
      tenant: { type: 'string' },
      sub: { type: 'string', default: 'dev-user' },
      ttl: { type: 'string', default: '3600' },
      issuer: { type: 'string', default: process.env.AUTH_ISSUER ?? 'http://127.0.0.1:8081/realms/tenantry' },
      'admin-api': { type: 'string', default: `http://127.0.0.1:${process.env.ADMIN_API_PORT ?? 3000}` },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0) throw new Error('--ttl must be a positive number of seconds');
  if (!values.admin && !values.tenant) throw new Error('say --admin, --tenant <code or id>, or both (--help says more)');
  const issuer = await LocalIssuer.load({ keyFile: DEV_ISSUER_KEY_FILE, issuer: values.issuer });
  const tenantId = values.tenant ? await tenantIdOf(values.tenant, values['admin-api'], issuer) : undefined;
  const token = await issuer.mint(
    {
      sub: values.sub,
      preferred_username: values.sub,
      roles: values.admin ? ['platform-admin'] : ['offline_access'],
      tenantId,
      // The realm's clients: platform admins sign in through the admin CLI, business users through the app (infra/keycloak).
      azp: values.tenant ? 'tenantry-app' : 'tenantry-admin-cli',
    },
    { expiresInSeconds: ttl },
  );
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`mint-token: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
