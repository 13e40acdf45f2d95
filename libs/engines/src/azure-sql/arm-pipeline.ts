import type { SqlManagementClient } from '@azure/arm-sql';
import { type ArmPacer, armRequestKind } from './arm-pacer';
import { type RetryAdvice, type TransientRetryOptions, withTransientRetry } from './transient-retry';

// The pipeline's types, as the client exposes them (the package that declares them is only the SDK's dependency).
type Pipeline = SqlManagementClient['pipeline'];
type PipelinePolicy = Parameters<Pipeline['addPolicy']>[0];
type PipelineRequest = Parameters<PipelinePolicy['sendRequest']>[0];
type PipelineResponse = Awaited<ReturnType<PipelinePolicy['sendRequest']>>;

/**
 * The GA version of the Microsoft.Sql REST API this engine speaks. @azure/arm-sql 10.0.0 (the newest
 * on npm) sends 2022-08-01-preview for every Databases operation and has no option to change it, so
 * a policy puts this version on each request instead. 2025-01-01 is the newest stable version; its
 * spec is the one that declares the Location and Retry-After of the 202s this engine follows
 * (Databases_CreateOrUpdate, _Delete, _Export) and the export's managed-identity keys. The bodies the
 * engine sends and reads (database: location, tags, elasticPoolId, maxSizeBytes, status; export
 * definition and result) are the same in both.
 * https://github.com/Azure/azure-rest-api-specs/tree/main/specification/sql/resource-manager/Microsoft.Sql/stable/2025-01-01
 */
export const SQL_API_VERSION = '2025-01-01';

// The SDK's retry policy, which waits whatever Retry-After says and retries a POST on 5xx; replaced below.
const SDK_RETRY_POLICY = 'defaultRetryPolicy';

// RFC 9110 §9.2.2: PUT, DELETE and the safe methods are idempotent; POST (an export) is not.
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);
// Failures before the request reached ARM: safe to send again whatever the method.
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);
// Dropped or timed-out exchanges: ARM may have acted on the request.
const CUT_OFF = new Set(['ECONNRESET', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'EPIPE']);
const SERVER_FAULTS = new Set([408, 500, 502, 503, 504]);

/** Retry-After in seconds or as an HTTP date, or the Azure headers in milliseconds; undefined when none is usable. */
export function retryAfterMs(response: PipelineResponse): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const value = Number(response.headers.get(name));
    if (response.headers.has(name) && Number.isFinite(value) && value >= 0) return value;
  }
  const value = response.headers.get('retry-after');
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * ARM: "429 Too many requests. The response includes a Retry-After value … If you send a request
 * before the retry value has elapsed, your request isn't processed" — so a 429 is retried whatever the
 * method. A 5xx, a timeout or a dropped connection may have been acted on: retried for idempotent
 * methods only, never for the export POST (the saga's next attempt finds the export, see ArmDatabases).
 * https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling
 */
function advice(request: PipelineRequest, failure: { error: unknown } | { value: PipelineResponse }): RetryAdvice {
  const idempotent = IDEMPOTENT.has(request.method);
  if ('error' in failure) {
    const code = (failure.error as { code?: string }).code ?? '';
    return NOT_SENT.has(code) || (idempotent && CUT_OFF.has(code)) ? 'backoff' : 'give-up';
  }
  const response = failure.value;
  if (response.status !== 429 && !(idempotent && SERVER_FAULTS.has(response.status))) return 'give-up';
  const afterMs = retryAfterMs(response);
  return afterMs === undefined ? 'backoff' : { afterMs };
}

/**
 * Every request's retries, in place of the SDK's: Microsoft's backoff, Retry-After obeyed up to
 * maxDelayMs, within budgetMs. The answer handed up has its Retry-After capped the same way, since
 * the SDK's long-running-operation poller waits whatever it says between polls.
 */
function armRetryPolicy(options: TransientRetryOptions): PipelinePolicy {
  return {
    name: 'tenantryArmRetryPolicy',
    async sendRequest(request, next) {
      const response = await withTransientRetry(
        options,
        (failure) => advice(request, failure),
        () => next(request),
      );
      const afterMs = retryAfterMs(response);
      if (afterMs !== undefined && afterMs > options.maxDelayMs) {
        response.headers.set('retry-after', String(Math.floor(options.maxDelayMs / 1000)));
        response.headers.delete('retry-after-ms');
        response.headers.delete('x-ms-retry-after-ms');
      }
      return response;
    },
  };
}

/** Every Microsoft.Sql request, polls included (ARM echoes the version in the URLs it hands out), goes with SQL_API_VERSION. */
const apiVersionPolicy: PipelinePolicy = {
  name: 'tenantrySqlApiVersionPolicy',
  sendRequest(request, next) {
    const url = new URL(request.url);
    if (/\/providers\/Microsoft\.Sql\//i.test(url.pathname)) {
      url.searchParams.set('api-version', SQL_API_VERSION);
      request.url = url.toString();
    }
    return next(request);
  },
};

/**
 * @azure/arm-sql 10 still types the export password as required, and its serializer refuses a body
 * without one (installed src/models/mappers.ts, ExportDatabaseDefinition); with a managed identity the
 * service wants none (400 SQLPasswordSpecifiedWithManagedIdentity, Spec stable/2025-01-01). The SDK is
 * handed this empty placeholder (ArmDatabases.export), and the policy below takes it off the wire.
 */
export const PLACEHOLDER_PASSWORD = '';
const managedIdentityExportPolicy: PipelinePolicy = {
  name: 'tenantryManagedIdentityExport',
  sendRequest(request, next) {
    if (request.method === 'POST' && /\/export$/i.test(new URL(request.url).pathname) && typeof request.body === 'string') {
      const body = JSON.parse(request.body) as { authenticationType?: string; administratorLoginPassword?: string };
      if (body.authenticationType === 'ManagedIdentity' && body.administratorLoginPassword === PLACEHOLDER_PASSWORD) {
        delete body.administratorLoginPassword;
        request.body = JSON.stringify(body);
      }
    }
    return next(request);
  },
};

/**
 * Each try (retries included, hence after the Retry phase) waits for a token of its subscription's
 * bucket, and tells the pacer what ARM answered: the x-ms-ratelimit-remaining-subscription-* count
 * and, on a 429, its Retry-After.
 */
function armPacerPolicy(pacer: ArmPacer, retry: TransientRetryOptions): PipelinePolicy {
  return {
    name: 'tenantryArmPacerPolicy',
    async sendRequest(request, next) {
      const subscription = /\/subscriptions\/([^/]+)/i.exec(new URL(request.url).pathname)?.[1];
      if (!subscription) return next(request);
      const kind = armRequestKind(request.method);
      await pacer.take(subscription, kind);
      let response: PipelineResponse | undefined;
      try {
        response = await next(request);
      } finally {
        const remaining = Number(response?.headers.get(`x-ms-ratelimit-remaining-subscription-${kind}`) ?? Number.NaN);
        pacer.observe(
          subscription,
          kind,
          response && {
            remaining: Number.isFinite(remaining) ? remaining : undefined,
            // Capped as the retries cap it: a wait longer than that is the saga's next attempt's to sit out.
            throttledForMs: response.status === 429 ? Math.min(retry.maxDelayMs, retryAfterMs(response) ?? 1000) : undefined,
          },
        );
      }
      return response;
    },
  };
}

/** The client's pipeline as this engine needs it: its own retries and caps, the process's ARM pacer, the GA API version, and managed-identity export bodies as the service takes them. */
export function configureArmPipeline(client: SqlManagementClient, retry: TransientRetryOptions, pacer: ArmPacer): void {
  client.pipeline.removePolicy({ name: SDK_RETRY_POLICY });
  client.pipeline.addPolicy(armRetryPolicy(retry), { phase: 'Retry' });
  client.pipeline.addPolicy(armPacerPolicy(pacer, retry), { afterPhase: 'Retry' });
  client.pipeline.addPolicy(apiVersionPolicy);
  client.pipeline.addPolicy(managedIdentityExportPolicy);
}
