import { wholeNumberIn } from './whole-number';

describe('wholeNumberIn', () => {
  const page = { min: 1, max: 1_000_000 };

  it.each([
    ['1', 1],
    ['20', 20],
    ['007', 7],
    ['1000000', 1_000_000],
  ])('takes %j as %d', (raw, value) => {
    expect(wholeNumberIn(raw, page)).toBe(value);
  });

  it.each(['1e308', '1e21', '1e2', '0x10', '0b1', '1.5', '1.0', '-1', '+1', ' 1', '1 ', '0', '1000001', '99999999999999999999', 'Infinity', 'NaN', 'abc', ''])(
    'refuses %j',
    (raw) => {
      expect(wholeNumberIn(raw, page)).toBeUndefined();
    },
  );

  it('refuses what is not one string (a repeated parameter, a number)', () => {
    expect(wholeNumberIn(['1', '2'], page)).toBeUndefined();
    expect(wholeNumberIn(5, page)).toBeUndefined();
    expect(wholeNumberIn(undefined, page)).toBeUndefined();
  });
});
