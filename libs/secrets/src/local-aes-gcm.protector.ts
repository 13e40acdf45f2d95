import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretProtector } from './secret-protector';
import { SecretUnreadable } from './secret-unreadable.error';

const VERSION = 'v1';

/**
 * AES-256-GCM with the key from configuration. The tenant id is authenticated data, so a
 * ciphertext moved to another tenant's row fails to open; the key id makes rotation possible.
 */
export class LocalAesGcmProtector implements SecretProtector {
  constructor(
    private readonly key: Buffer,
    private readonly keyId: string,
  ) {
    if (key.length !== 32) throw new Error('AES-256-GCM needs a 32-byte key');
    if (!/^[A-Za-z0-9_-]+$/.test(keyId)) throw new Error('key id must be letters, digits, _ or -');
  }

  async protect(plaintext: string, context: string): Promise<string> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(`tenant:${context}`));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, this.keyId, iv, cipher.getAuthTag(), ciphertext]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  async unprotect(protectedValue: string, context: string): Promise<string> {
    const [version, keyId, iv, tag, ciphertext] = protectedValue.split('.');
    if (version !== VERSION || ciphertext === undefined) throw new SecretUnreadable('stored secret has an unknown format');
    if (keyId !== this.keyId) throw new SecretUnreadable(`stored secret was protected with key "${keyId}", not the configured one`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(`tenant:${context}`));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretUnreadable('stored secret does not authenticate for this tenant');
    }
  }

  async retire(): Promise<void> {
    // The ciphertext lives only in the registry row, which the caller clears.
  }
}
