import type { TokenCredential } from '@azure/identity';
import { KeyClient, type KeyClientOptions } from '@azure/keyvault-keys';
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';
import { startHttpsDouble, type RecordedRequest } from '@tenantry/common/testing';
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/** The api-version the SDK in the lock file speaks; the double refuses any other, so an SDK upgrade is noticed here. */
export const KEY_VAULT_API_VERSION = '2025-07-01';
/** The scope a Key Vault challenge leads the SDK to ask its credential for. */
export const KEY_VAULT_SCOPE = 'https://vault.azure.net/.default';

const NAME = /^[0-9a-zA-Z-]{1,127}$/;

export interface DoubleSecretVersion {
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  created: number;
  enabled: boolean;
}

/**
 * One version of an RSA key. The answers of the keys routes follow the Key Vault data-plane
 * specification, Azure/azure-rest-api-specs
 * specification/keyvault/data-plane/Microsoft.KeyVault/stable/2025-07-01/keys.json (KeyBundle,
 * JsonWebKey with base64url `n` and `e`, KeyAttributes; KeyOperationsParameters `{alg, value}` and
 * KeyOperationResult `{kid, value}` for wrapkey and unwrapkey) and its examples/wrapKey-example.json.
 */
interface DoubleKeyVersion {
  version: string;
  publicKey: KeyObject;
  privateKey: KeyObject;
  created: number;
  enabled: boolean;
}

interface DoubleKey {
  hsm: boolean;
  versions: DoubleKeyVersion[];
}

/** An operation the vault counted (an authenticated request it served or refused on its merits; 429s do not count, as Key Vault documents). */
export interface VaultOperation {
  at: number;
  kind: 'secret' | 'key';
  route: string;
}

/**
 * Transactions per 10 s past which the double answers 429 with Retry-After, by kind, as Key Vault
 * does per vault (https://learn.microsoft.com/azure/key-vault/general/service-limits). Unset: no limit.
 */
export interface KeyVaultDoubleLimits {
  secretsPer10s?: number;
  keysPer10s?: number;
}

interface DoubleSecret {
  versions: DoubleSecretVersion[];
  deletedDate?: number;
}

/**
 * A local stand-in for the Key Vault REST API the protectors use, reached through the real clients:
 * secrets (get, delete, get deleted; soft-delete semantics) for the per-tenant format that is still
 * opened and retired, keys (get, wrapkey, unwrapkey) for envelope encryption.
 */
export interface KeyVaultDouble {
  url: string;
  requests: RecordedRequest[];
  /** Protocol mistakes seen (wrong api-version or token, a body Key Vault would refuse, an unknown route): a test expects none. */
  violations: string[];
  /** Scopes the credential was asked for. */
  scopes: string[];
  credential: TokenCredential;
  /** TLS trust for the double, challenge verification off (the URL is not *.vault.azure.net), quick retries. */
  clientOptions: SecretClientOptions & KeyClientOptions;
  client(): SecretClient;
  /** What the vault holds under a name, live or soft-deleted. */
  inspect(name: string): { state: 'active' | 'deleted'; versions: DoubleSecretVersion[] } | undefined;
  /** Disables one version, as an operator does with a leaked password: reading it answers 403 SecretDisabled. */
  disable(name: string, version: string): void;
  /** The next `count` authenticated requests answer `status`, as a vault in trouble does. */
  failNext(status: number, count: number): void;
  /** From now on requests get no answer (a vault that accepts connections and never replies). */
  hang(): void;
  close(): Promise<void>;
  /** A KeyClient for this double, with the same credential and options. */
  keyClient(): KeyClient;
  /** Creates an RSA 2048 key (or adds a version, as a rotation does) the way infra/main.bicep and a rotation policy would, outside the data plane; returns the new version. */
  createKey(name: string, options?: { hsm?: boolean }): string;
  /** Every operation counted so far, in order. */
  operations: VaultOperation[];
  /** Requests answered 429 because a limit was passed. */
  throttled: VaultOperation[];
  /**
   * Adds a version to a tenant's secret as SECRETS_PROVIDER=key-vault wrote them before the envelope
   * format (`tenant-<id>`, tagged `tenant_id`), without a request; returns the `kv:` reference a
   * registry row held. `tags` other than the tenant's own plant a secret that must not open.
   */
  seedTenantSecret(tenantId: string, value: string, tags?: Record<string, string>): string;
}

export async function startKeyVaultDouble(limits: KeyVaultDoubleLimits = {}): Promise<KeyVaultDouble> {
  const token = `double-token-${randomBytes(8).toString('hex')}`;
  const secrets = new Map<string, DoubleSecret>();
  const keys = new Map<string, DoubleKey>();
  const operations: VaultOperation[] = [];
  const throttled: VaultOperation[] = [];
  // Operations of each kind in the last 10 s, oldest first, for the limit.
  const recent: Record<VaultOperation['kind'], number[]> = { secret: [], key: [] };
  const violations: string[] = [];
  const scopes: string[] = [];
  let failures: { status: number; count: number } = { status: 0, count: 0 };
  let hanging = false;
  let url = '';

  const now = () => Math.floor(Date.now() / 1000);
  const send = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    response.end(JSON.stringify(body));
  };
  const error = (response: ServerResponse, status: number, code: string, message: string, inner?: string) =>
    send(response, status, { error: { code, message, ...(inner ? { innererror: { code: inner } } : {}) } });
  const refuse = (response: ServerResponse, violation: string) => {
    violations.push(violation);
    error(response, 400, 'BadParameter', violation);
  };

  const bundle = (name: string, version: DoubleSecretVersion, withValue: boolean) => ({
    ...(withValue ? { value: version.value } : {}),
    id: `${url}/secrets/${name}/${version.version}`,
    ...(version.contentType ? { contentType: version.contentType } : {}),
    attributes: { enabled: version.enabled, created: version.created, updated: version.created, recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90 },
    tags: version.tags ?? {},
  });
  const deletedBundle = (name: string, secret: DoubleSecret) => ({
    ...bundle(name, secret.versions[secret.versions.length - 1], false),
    recoveryId: `${url}/deletedsecrets/${name}`,
    deletedDate: secret.deletedDate,
    scheduledPurgeDate: (secret.deletedDate ?? now()) + 90 * 86_400,
  });

  /** Seconds until the operation would fit under its kind's limit, or undefined when it fits now (and is counted). */
  function throttle(operation: VaultOperation): number | undefined {
    const limit = operation.kind === 'key' ? limits.keysPer10s : limits.secretsPer10s;
    if (limit === undefined) return undefined;
    const window = recent[operation.kind];
    while (window.length > 0 && window[0] <= operation.at - 10_000) window.shift();
    if (window.length >= limit) return Math.max(1, Math.ceil((window[0] + 10_000 - operation.at) / 1000));
    window.push(operation.at);
    return undefined;
  }

  const keyBundle = (name: string, key: DoubleKey, version: DoubleKeyVersion) => {
    const { n, e } = version.publicKey.export({ format: 'jwk' });
    return {
      key: { kid: `${url}/keys/${name}/${version.version}`, kty: key.hsm ? 'RSA-HSM' : 'RSA', key_ops: ['wrapKey', 'unwrapKey'], n, e },
      attributes: {
        enabled: version.enabled,
        created: version.created,
        updated: version.created,
        recoveryLevel: 'Recoverable+Purgeable',
        recoverableDays: 90,
        exportable: false,
      },
      tags: {},
    };
  };

  function handleKey(request: RecordedRequest, response: ServerResponse, name: string, rest: string[]): void {
    const key = keys.get(name);
    const [wanted = '', action] = rest;
    const version = key && (wanted ? key.versions.find((v) => v.version === wanted) : key.versions[key.versions.length - 1]);
    if (request.method === 'GET' && action === undefined) {
      if (!key || !version) return error(response, 404, 'KeyNotFound', `A key with (name/id) ${name}/${wanted} was not found in this key vault.`);
      return send(response, 200, keyBundle(name, key, version));
    }
    if (request.method !== 'POST' || (action !== 'wrapkey' && action !== 'unwrapkey') || !wanted) {
      return refuse(response, `${request.method} ${request.url}: no such operation`);
    }
    const body = request.body as { alg?: unknown; value?: unknown } | undefined;
    const unknownKeys = Object.keys(body ?? {}).filter((field) => field !== 'alg' && field !== 'value');
    if (typeof body?.value !== 'string' || unknownKeys.length > 0) return refuse(response, `POST ${request.url}: the body is not {alg, value}`);
    if (body.alg !== 'RSA-OAEP-256') return refuse(response, `POST ${request.url}: alg ${String(body.alg)} is not the RSA-OAEP-256 the protector uses`);
    if (!key || !version) return error(response, 404, 'KeyNotFound', `A key with (name/id) ${name}/${wanted} was not found in this key vault.`);
    const input = Buffer.from(body.value, 'base64url');
    const padding = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
    let output: Buffer;
    try {
      output = action === 'wrapkey' ? publicEncrypt({ key: version.publicKey, ...padding }, input) : privateDecrypt({ key: version.privateKey, ...padding }, input);
    } catch {
      return error(response, 400, 'BadParameter', 'The parameter value is not valid for the key.');
    }
    send(response, 200, { kid: `${url}/keys/${name}/${version.version}`, value: output.toString('base64url') });
  }

  async function handle(request: RecordedRequest, response: ServerResponse): Promise<void> {
    if (hanging) return;
    if (request.headers.authorization !== `Bearer ${token}`) {
      if (request.headers.authorization) violations.push(`${request.method} ${request.url}: unexpected authorization header`);
      return send(
        response,
        401,
        { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } },
        {
          'www-authenticate': 'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"',
        },
      );
    }
    const target = new URL(request.url, 'https://vault.invalid');
    if (target.searchParams.get('api-version') !== KEY_VAULT_API_VERSION) {
      return refuse(response, `${request.method} ${request.url}: api-version is not ${KEY_VAULT_API_VERSION}`);
    }
    const [collection, name, ...rest] = target.pathname.split('/').slice(1);
    const withBody = request.method === 'POST' && collection === 'keys';
    if (!withBody && request.body !== undefined) return refuse(response, `${request.method} ${request.url}: unexpected body`);
    if (failures.count > 0) {
      failures.count -= 1;
      return error(response, failures.status, 'ServiceUnavailable', 'The double was told to fail.');
    }
    const operation: VaultOperation = { at: Date.now(), kind: collection === 'keys' ? 'key' : 'secret', route: `${request.method} ${target.pathname}` };
    const retryAfter = throttle(operation);
    if (retryAfter !== undefined) {
      throttled.push(operation);
      // Key Vault answers HTTP 429 past its limits and the SDK retries after Retry-After
      // (https://learn.microsoft.com/azure/key-vault/general/overview-throttling); the error body's code and message are ours.
      return send(
        response,
        429,
        { error: { code: 'Throttled', message: 'The double was told to allow fewer operations per 10 s.' } },
        { 'retry-after': String(retryAfter) },
      );
    }
    operations.push(operation);
    if (!NAME.test(name ?? '')) return refuse(response, `${request.method} ${request.url}: not a valid ${operation.kind} name`);
    if (collection === 'keys') return handleKey(request, response, name, rest);
    const secret = secrets.get(name);
    const live = secret && secret.deletedDate === undefined ? secret : undefined;
    const deleted = secret && secret.deletedDate !== undefined ? secret : undefined;
    const route = `${request.method} ${collection}${rest.length ? `/{name}/${rest.join('/')}` : '/{name}'}`;

    if (request.method === 'GET' && collection === 'secrets' && rest.length <= 1) {
      const wanted = rest[0] ?? '';
      const version = live && (wanted ? live.versions.find((v) => v.version === wanted) : live.versions[live.versions.length - 1]);
      if (!version) return error(response, 404, 'SecretNotFound', `A secret with (name/id) ${name}/${wanted} was not found in this key vault.`);
      if (!version.enabled) return error(response, 403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled');
      return send(response, 200, bundle(name, version, true));
    }
    if (route === 'DELETE secrets/{name}') {
      if (!live) return error(response, 404, 'SecretNotFound', `A secret with (name/id) ${name} was not found in this key vault.`);
      live.deletedDate = now();
      return send(response, 200, deletedBundle(name, live));
    }
    if (route === 'GET deletedsecrets/{name}') {
      if (!deleted) return error(response, 404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
      return send(response, 200, deletedBundle(name, deleted));
    }
    refuse(response, `${request.method} ${request.url}: no such operation`);
  }

  const https = await startHttpsDouble(handle);
  url = https.url;
  const credential: TokenCredential = {
    async getToken(requested) {
      scopes.push(...[requested].flat());
      return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
  const clientOptions: SecretClientOptions & KeyClientOptions = {
    tlsOptions: { ca: https.ca },
    disableChallengeResourceVerification: true,
    retryOptions: { maxRetries: 2, retryDelayInMs: 5, maxRetryDelayInMs: 20 },
  };

  return {
    url,
    requests: https.requests,
    violations,
    scopes,
    credential,
    clientOptions,
    client: () => new SecretClient(url, credential, clientOptions),
    keyClient: () => new KeyClient(url, credential, clientOptions),
    operations,
    throttled,
    createKey(name, options = {}) {
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const key = keys.get(name) ?? { hsm: options.hsm ?? false, versions: [] };
      const version: DoubleKeyVersion = { version: randomBytes(16).toString('hex'), publicKey, privateKey, created: now(), enabled: true };
      key.versions.push(version);
      keys.set(name, key);
      return version.version;
    },
    seedTenantSecret(tenantId, value, tags = { tenant_id: tenantId }) {
      const name = `tenant-${tenantId}`;
      const version: DoubleSecretVersion = {
        version: randomBytes(16).toString('hex'),
        value,
        contentType: 'application/vnd.tenantry.database-password',
        tags,
        created: now(),
        enabled: true,
      };
      const secret = secrets.get(name) ?? { versions: [] };
      secret.versions.push(version);
      secrets.set(name, secret);
      return `kv:${url}/secrets/${name}/${version.version}`;
    },
    inspect(name) {
      const secret = secrets.get(name);
      if (!secret) return undefined;
      return { state: secret.deletedDate === undefined ? 'active' : 'deleted', versions: [...secret.versions] };
    },
    disable(name, version) {
      const found = secrets.get(name)?.versions.find((candidate) => candidate.version === version);
      if (!found) throw new Error(`the double holds no version ${version} of ${name}`);
      found.enabled = false;
    },
    failNext(status, count) {
      failures = { status, count };
    },
    hang() {
      hanging = true;
    },
    close: () => https.close(),
  };
}
