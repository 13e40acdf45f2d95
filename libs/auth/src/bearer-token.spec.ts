import { bearerToken } from './bearer-token';

describe('bearerToken', () => {
  it('takes the token of a Bearer header, whatever the scheme case', () => {
    expect(bearerToken('Bearer aaa.bbb.ccc')).toBe('aaa.bbb.ccc');
    expect(bearerToken('bearer aaa.bbb.ccc')).toBe('aaa.bbb.ccc');
  });

  it.each([undefined, '', 'Bearer', 'Basic dXNlcjpwdw==', 'Bearer a.b.c d.e.f', 'Bearer not-a-jwt', ['Bearer a.b.c']])(
    'gives nothing for %p',
    (header) => {
      expect(bearerToken(header as string | undefined)).toBeUndefined();
    },
  );
});
