import { scramVerifier } from './scram-verifier';

describe('scramVerifier', () => {
  it('matches the verifier PostgreSQL derives for a known password and salt', () => {
    // Salt and keys from the RFC 7677 test vector (user "user", password "pencil").
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const verifier = scramVerifier('pencil', salt);
    expect(verifier).toMatch(/^SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$/);
    expect(verifier.split('$')[2].split(':')[1]).toBe('wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=');
  });

  it('never contains the password and differs with every salt', () => {
    expect(scramVerifier('s3cret')).not.toContain('s3cret');
    expect(scramVerifier('s3cret')).not.toBe(scramVerifier('s3cret'));
  });
});
