import { DependencyUnavailable, DomainError } from '@tenantry/common';

/** What the SDKs throw (RestError): status and codes, and the request, body included, which is never passed on. */
export interface VaultError {
  name?: string;
  statusCode?: number;
  code?: string;
  details?: { error?: { code?: string; innerError?: { code?: string } } };
}

/** One vault operation as messages name it ("read the secret") and the built-in role it needs. */
export interface VaultAction {
  what: string;
  role: string;
}

export interface VaultCallOptions {
  vaultUrl: string;
  timeoutMs: number;
}

export function innerCodeOf(error: VaultError): string | undefined {
  return error.details?.error?.innerError?.code;
}

/**
 * A failed vault operation as a domain error that carries names and status codes only. The SDK has
 * already retried what its policy retries (429 with Retry-After, 5xx, network errors).
 */
export function vaultFailure(error: VaultError, action: VaultAction, { vaultUrl, timeoutMs }: VaultCallOptions): DomainError {
  const { statusCode, code, name } = error;
  const details = { vault: vaultUrl, statusCode, code };
  if (name === 'AbortError') return new DependencyUnavailable(`Key Vault did not answer within ${timeoutMs} ms (${action.what})`, details);
  if (statusCode === undefined) return new DependencyUnavailable(`Key Vault cannot be reached (${code ?? 'network error'}) to ${action.what}`, details);
  if (statusCode === 401 || statusCode === 403) {
    return new DependencyUnavailable(`Key Vault refused to ${action.what} (HTTP ${statusCode}): the identity needs the "${action.role}" role on the vault`, details);
  }
  return new DependencyUnavailable(`Key Vault failed to ${action.what} (HTTP ${statusCode}${code ? ` ${code}` : ''})`, details);
}

/**
 * Runs one vault operation under the timeout; a 404 goes to `onNotFound`, a domain error passes,
 * any other failure goes through `toError`.
 */
export async function callVault<T>(
  timeoutMs: number,
  run: (abortSignal: AbortSignal) => Promise<T>,
  toError: (error: VaultError) => DomainError,
  onNotFound?: () => T,
): Promise<T> {
  try {
    return await run(AbortSignal.timeout(timeoutMs));
  } catch (error) {
    if (error instanceof DomainError) throw error;
    if ((error as VaultError).statusCode === 404 && onNotFound) return onNotFound();
    throw toError(error as VaultError);
  }
}
