import { exactInteger } from './order.view';

describe('exactInteger', () => {
  it('reads a bigint column as the number it is, up to Number.MAX_SAFE_INTEGER', () => {
    expect(exactInteger('0', 'c')).toBe(0);
    expect(exactInteger('5000000000000000', 'c')).toBe(5_000_000_000_000_000);
    expect(exactInteger('9007199254740991', 'c')).toBe(Number.MAX_SAFE_INTEGER);
    expect(exactInteger('-9007199254740991', 'c')).toBe(Number.MIN_SAFE_INTEGER);
  });

  it('refuses one a JSON number would round, naming the column', () => {
    // 2^53 + 1 reads back as 2^53: a different amount.
    expect(() => exactInteger('9007199254740993', 'orders.total_cents')).toThrow(
      'orders.total_cents 9007199254740993 is beyond the integers a JSON number carries exactly',
    );
    expect(() => exactInteger('9007199254740992', 'c')).toThrow(RangeError);
  });
});
