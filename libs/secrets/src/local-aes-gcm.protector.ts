import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretProtector } from './secret-protector';
import { SecretUnreadable } from './secret-unreadable.error';

const VERSION = 'v1';
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
// Pinned on decryption: otherwise GCM accepts a tag cut down to 4 bytes, leaving 32 bits against forgery.
const TAG_BYTES = 16;

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
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(`tenant:${context}`));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, this.keyId, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  async unprotect(protectedValue: string, context: string): Promise<string> {
    const parts = protectedValue.split('.');
    const [version, keyId, iv, tag, ciphertext] = parts;
    if (version !== VERSION || parts.length !== 5) throw new SecretUnreadable('stored secret has an unknown format');
    if (keyId !== this.keyId) throw new SecretUnreadable(`stored secret was protected with key "${keyId}", not the configured one`);
    try {
      const decipher = createDecipheriv(ALGORITHM, this.key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
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
