import { LocalIssuer } from '@tenantry/auth/testing';
import { parseArgs } from 'node:util';

// Prints one Keycloak-shaped token signed by the dev issuer's key: --admin for the admin API, --tenant <id> for business calls.
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      admin: { type: 'boolean', default: false },
      tenant: { type: 'string' },
      sub: { type: 'string', default: 'dev-user' },
      ttl: { type: 'string', default: '3600' },
      issuer: { type: 'string', default: process.env.AUTH_ISSUER ?? 'http://127.0.0.1:8081/realms/tenantry' },
    },
  });
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0) throw new Error('--ttl must be a positive number of seconds');
  if (!values.admin && !values.tenant) throw new Error('say --admin, --tenant <tenant id>, or both');
  const issuer = await LocalIssuer.load({ keyFile: '.dev/issuer-key.json', issuer: values.issuer });
  const token = await issuer.mint(
    {
      sub: values.sub,
      preferred_username: values.sub,
      roles: values.admin ? ['platform-admin'] : ['offline_access'],
      tenantId: values.tenant,
    },
    { expiresInSeconds: ttl },
  );
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`mint-token: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
