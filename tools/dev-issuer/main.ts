import { DEV_ISSUER_KEY_FILE, LocalIssuer } from './local-issuer';

// Local stand-in for the Keycloak realm: serves its JWKS so the apps verify dev tokens exactly as production tokens.
async function main(): Promise<void> {
  const port = Number(process.env.DEV_ISSUER_PORT ?? 8081);
  const issuer = await LocalIssuer.start({ port, realm: 'tenantry', keyFile: DEV_ISSUER_KEY_FILE });
  process.stdout.write(`dev issuer ${issuer.issuer} (JWKS at ${issuer.jwksUrl})\n`);
  const stop = () => void issuer.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`dev issuer failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
