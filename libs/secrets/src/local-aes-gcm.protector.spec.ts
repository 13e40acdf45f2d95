import { randomBytes } from 'node:crypto';
import { LocalAesGcmProtector } from './local-aes-gcm.protector';
import { generatePassword } from './password';
import { SecretUnreadable } from './secret-unreadable.error';

describe('LocalAesGcmProtector', () => {
  const key = randomBytes(32);
  const protector = new LocalAesGcmProtector(key, 'k1');

  it('round-trips and never stores the plaintext', async () => {
    const sealed = await protector.protect('s3cret-password', 'tenant-a');
    expect(sealed).toMatch(/^v1\.k1\./);
    expect(sealed).not.toContain('s3cret');
    await expect(protector.unprotect(sealed, 'tenant-a')).resolves.toBe('s3cret-password');
  });

  it('uses a fresh IV each time', async () => {
    expect(await protector.protect('same', 'a')).not.toBe(await protector.protect('same', 'a'));
  });

  it("refuses another tenant's ciphertext", async () => {
    const sealed = await protector.protect('pw', 'tenant-a');
    await expect(protector.unprotect(sealed, 'tenant-b')).rejects.toBeInstanceOf(SecretUnreadable);
  });

  it('refuses a tampered ciphertext, another key, an unknown key id or format', async () => {
    const sealed = await protector.protect('password', 'tenant-a');
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[4], 'base64url');
    flipped[0] ^= 1;
    const tampered = [...parts.slice(0, 4), flipped.toString('base64url')].join('.');
    await expect(protector.unprotect(tampered, 'tenant-a')).rejects.toThrow('does not authenticate');
    await expect(new LocalAesGcmProtector(randomBytes(32), 'k1').unprotect(sealed, 'tenant-a')).rejects.toBeInstanceOf(SecretUnreadable);
    await expect(new LocalAesGcmProtector(key, 'k2').unprotect(sealed, 'tenant-a')).rejects.toThrow('key "k1"');
    await expect(protector.unprotect('plain-text', 'tenant-a')).rejects.toThrow('unknown format');
    await expect(protector.unprotect(`${sealed}.extra`, 'tenant-a')).rejects.toThrow('unknown format');
  });

  it('refuses a genuine tag cut short', async () => {
    const parts = (await protector.protect('password', 'tenant-a')).split('.');
    parts[3] = Buffer.from(parts[3], 'base64url').subarray(0, 4).toString('base64url');
    await expect(protector.unprotect(parts.join('.'), 'tenant-a')).rejects.toBeInstanceOf(SecretUnreadable);
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => new LocalAesGcmProtector(randomBytes(16), 'k1')).toThrow('32-byte');
  });
});

describe('generatePassword', () => {
  it('gives 32 alphanumeric characters, different each time', () => {
    const a = generatePassword();
    expect(a).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(generatePassword()).not.toBe(a);
  });
});
