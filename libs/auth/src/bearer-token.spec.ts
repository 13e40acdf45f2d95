import { bearerCredential } from './bearer-token';

describe('bearerCredential', () => {
  it('takes the token of a Bearer header, whatever the scheme case', () => {
    expect(bearerCredential('Bearer aaa.bbb.ccc')).toEqual({ kind: 'token', token: 'aaa.bbb.ccc' });
    expect(bearerCredential('bearer aaa.bbb.ccc')).toEqual({ kind: 'token', token: 'aaa.bbb.ccc' });
  });

  it.each([undefined, '', 'Basic dXNlcjpwdw==', ['Bearer a.b.c']])('finds no bearer credential in %p', (header) => {
    expect(bearerCredential(header as string | undefined)).toEqual({ kind: 'missing' });
  });

  it.each(['Bearer', 'Bearer ', 'Bearer abc', 'Bearer not-a-jwt', 'Bearer a.b.c d.e.f', 'Bearer a b'])('calls %p malformed', (header) => {
    expect(bearerCredential(header)).toEqual({ kind: 'malformed' });
  });
});
