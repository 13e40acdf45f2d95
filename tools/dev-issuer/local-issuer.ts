import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';

/** Where the dev issuer of `npm start` keeps its key; `npm run token` and the demo sign with it. */
export const DEV_ISSUER_KEY_FILE = '.dev/issuer-key.json';

interface SigningKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

export interface MintClaims {
  sub?: string;
  tenantId?: string;
  roles?: string[];
  azp?: string;
  aud?: string | string[];
  preferred_username?: string;
  resource_access?: Record<string, { roles: string[] }>;
  [claim: string]: unknown;
}

/** Which of Keycloak's tokens to mint: the access token (typ Bearer), the ID token (typ ID) or the refresh token (typ Refresh). */
export type TokenKind = 'access' | 'id' | 'refresh';

export interface MintOptions {
  /** Default access. Keycloak signs refresh tokens with a realm HMAC key; this one is RS256, so only its type tells it apart. */
  kind?: TokenKind;
  expiresInSeconds?: number;
  notBeforeSeconds?: number;
  issuer?: string;
  kid?: string;
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  return {
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
  };
}

function publicOf(privateJwk: JWK): JWK {
  const { kty, n, e, kid, alg, use } = privateJwk;
  return { kty, n, e, kid, alg, use };
}

/**
 * A stand-in for Keycloak: serves a realm's JWKS and discovery document at Keycloak's paths and
 * mints tokens of Keycloak's claim shape. Local development (`npm start`, `npm run token`) and the
 * tests trust it exactly as production trusts the real realm, through the same verification code;
 * no production app imports it.
 */
export class LocalIssuer {
  private keys: SigningKey[];
  private server?: Server;
  issuer: string;
  port = 0;

  private constructor(
    keys: SigningKey[],
    issuer: string,
    readonly realm: string,
  ) {
    this.keys = keys;
    this.issuer = issuer;
  }

  get jwksUrl(): string {
    return `${this.issuer}/protocol/openid-connect/certs`;
  }

  /** The keys the JWKS publishes, the current one first. */
  get publicKeys(): JWK[] {
    return this.keys.map((key) => key.publicJwk);
  }

  /** Starts serving on `port` (0: any free port). With `keyFile`, the key survives restarts. */
  static async start(options: { realm?: string; port?: number; host?: string; keyFile?: string } = {}): Promise<LocalIssuer> {
    const realm = options.realm ?? 'tenantry';
    const host = options.host ?? '127.0.0.1';
    const issuer = new LocalIssuer([await LocalIssuer.loadOrCreateKey(options.keyFile)], '', realm);
    const server = createServer((request, response) => issuer.handle(request.url ?? '', response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, resolve);
    });
    issuer.server = server;
    issuer.port = (server.address() as AddressInfo).port;
    issuer.issuer = `http://${host}:${issuer.port}/realms/${realm}`;
    return issuer;
  }

  /**
   * Mints for an issuer served elsewhere: with the key in `keyFile` (the dev issuer process's), or
   * without one with a new key nobody publishes.
   */
  static async load(options: { keyFile?: string; issuer: string }): Promise<LocalIssuer> {
    if (options.keyFile && !existsSync(options.keyFile)) throw new Error(`${options.keyFile} not found: start the dev issuer first (npm start does)`);
    const realm = /\/realms\/([^/]+)$/.exec(options.issuer)?.[1] ?? 'tenantry';
    return new LocalIssuer([await LocalIssuer.loadOrCreateKey(options.keyFile)], options.issuer, realm);
  }

  private static async loadOrCreateKey(keyFile?: string): Promise<SigningKey> {
    if (keyFile && existsSync(keyFile)) {
      const privateJwk = JSON.parse(readFileSync(keyFile, 'utf8')) as JWK;
      return { kid: String(privateJwk.kid), privateJwk, publicJwk: publicOf(privateJwk) };
    }
    const key = await newKey();
    if (keyFile) {
      mkdirSync(dirname(keyFile), { recursive: true });
      writeFileSync(keyFile, JSON.stringify(key.privateJwk), { mode: 0o600 });
      chmodSync(keyFile, 0o600);
    }
    return key;
  }

  async mint(claims: MintClaims = {}, options: MintOptions = {}): Promise<string> {
    const { sub, tenantId, roles, azp, aud, preferred_username, resource_access, ...extra } = claims;
    const key = this.keyFor(options.kid);
    const issuer = options.issuer ?? this.issuer;
    const client = azp ?? 'tenantry-app';
    const session = { azp: client, sid: randomUUID() };
    const user = {
      acr: '1',
      email_verified: false,
      preferred_username: preferred_username ?? sub ?? 'user',
      ...(tenantId === undefined ? {} : { tenant_id: tenantId }),
    };
    // The claims Keycloak puts in each kind of token (the realm's tenant_id mapper adds to access and ID tokens).
    const shapes: Record<TokenKind, { typ: string; aud: string | string[]; claims: Record<string, unknown> }> = {
      access: {
        typ: 'Bearer',
        aud: aud ?? 'account',
        claims: {
          ...session,
          ...user,
          scope: 'openid profile email',
          realm_access: { roles: roles ?? ['offline_access', 'uma_authorization'] },
          resource_access: resource_access ?? { account: { roles: ['manage-account', 'view-profile'] } },
        },
      },
      id: { typ: 'ID', aud: aud ?? client, claims: { ...session, ...user, at_hash: randomUUID().replace(/-/g, '').slice(0, 22) } },
      refresh: { typ: 'Refresh', aud: aud ?? issuer, claims: { ...session, scope: 'openid profile email' } },
    };
    const shape = shapes[options.kind ?? 'access'];
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ typ: shape.typ, ...shape.claims, ...extra })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid })
      .setIssuer(issuer)
      .setSubject(sub ?? randomUUID())
      .setAudience(shape.aud)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + (options.expiresInSeconds ?? 300));
    if (options.notBeforeSeconds !== undefined) jwt.setNotBefore(now + options.notBeforeSeconds);
    return jwt.sign(await importJWK(key.privateJwk, 'RS256'));
  }

  /** A new current key; the old one stays published unless `dropOld`. */
  async rotate(options: { dropOld?: boolean } = {}): Promise<string> {
    const key = await newKey();
    this.keys = options.dropOld ? [key] : [key, ...this.keys];
    return key.kid;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private keyFor(kid?: string): SigningKey {
    const key = kid ? this.keys.find((candidate) => candidate.kid === kid) : this.keys[0];
    if (!key) throw new Error(`no key ${kid}`);
    return key;
  }

  private handle(url: string, response: ServerResponse): void {
    const base = `/realms/${this.realm}`;
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(JSON.stringify(body));
    };
    if (url === `${base}/protocol/openid-connect/certs`) return send(200, { keys: this.publicKeys });
    if (url === `${base}/.well-known/openid-configuration`) {
      return send(200, {
        issuer: this.issuer,
        jwks_uri: this.jwksUrl,
        token_endpoint: `${this.issuer}/protocol/openid-connect/token`,
        authorization_endpoint: `${this.issuer}/protocol/openid-connect/auth`,
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    send(404, { error: 'not found' });
  }
}
