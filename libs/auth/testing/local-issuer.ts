import { createHmac, createPublicKey, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';

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
  /** Sign with a key the issuer does not publish. */
  signWith?: 'other-key';
}

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

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
 * mints tokens of Keycloak's claim shape. Tests and local development trust it exactly as
 * production trusts the real realm, through the same verification code.
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

  /** Mints with the key in `keyFile` for an issuer served elsewhere (the dev issuer process). */
  static async load(options: { keyFile: string; issuer: string }): Promise<LocalIssuer> {
    if (!existsSync(options.keyFile)) throw new Error(`${options.keyFile} not found: start the dev issuer first (npm start does)`);
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
    const key = options.signWith === 'other-key' ? await newKey() : this.keyFor(options.kid);
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

  /** `alg: none`, no signature: must never verify. */
  forgeAlgNone(claims: Record<string, unknown>): string {
    return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(this.standardClaims(claims))}.`;
  }

  /** HS256 keyed with the issuer's public key (the classic key-confusion attack): must never verify. */
  forgeHs256WithPublicKey(claims: Record<string, unknown>): string {
    const pem = createPublicKey({ key: this.keys[0].publicJwk, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const signingInput = `${b64url({ alg: 'HS256', typ: 'JWT', kid: this.keys[0].kid })}.${b64url(this.standardClaims(claims))}`;
    return `${signingInput}.${createHmac('sha256', pem).update(signingInput).digest('base64url')}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private standardClaims(claims: Record<string, unknown>): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return { iss: this.issuer, sub: 'forger', aud: 'account', iat: now, exp: now + 300, azp: 'tenantry-app', ...claims };
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
    if (url === `${base}/protocol/openid-connect/certs`) return send(200, { keys: this.keys.map((key) => key.publicJwk) });
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

/** Edits payload claims of a signed token and keeps the original signature: must never verify. */
export function tamper(token: string, patch: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  return `${header}.${b64url({ ...claims, ...patch })}.${signature}`;
}
