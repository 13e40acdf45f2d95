import { controlCharacterIn, escapeControlCharacters, MAX_INPUT_DEPTH, screenInput } from './input-screening';

const nested = (depth: number, leaf: unknown = 1): unknown => {
  let value = leaf;
  for (let level = 0; level < depth; level += 1) value = [value];
  return value;
};

describe('screenInput', () => {
  it('passes ordinary input, Unicode included', () => {
    expect(screenInput({ code: 'acme', name: 'Ærø Café — 東京 ✓ 😀', lines: [{ sku: 'SKU-1', quantity: 2 }], flag: true, none: null }, '')).toBeUndefined();
    expect(screenInput('acme', 'code')).toBeUndefined();
    expect(screenInput(undefined, 'code')).toBeUndefined();
  });

  it.each([
    ['NUL', '\u0000', 'U+0000'],
    ['a tab', '\t', 'U+0009'],
    ['a line feed', '\n', 'U+000A'],
    ['ESC', '\u001b', 'U+001B'],
    ['DEL', '\u007f', 'U+007F'],
    ['a C1 control', '\u0085', 'U+0085'],
    ['the last C1 control', '\u009f', 'U+009F'],
  ])('refuses %s in a string, naming the field as class-validator does', (_what, character, code) => {
    expect(screenInput({ lines: [{ sku: 'ok' }, { sku: `SKU${character}1` }] }, '')).toBe(`lines.1.sku must not contain control characters (found ${code})`);
  });

  it('names a path or query parameter by its own name', () => {
    expect(screenInput('a\u0000b', 'code')).toBe('code must not contain control characters (found U+0000)');
    expect(screenInput({ status: 'act\u0007ive' }, '')).toBe('status must not contain control characters (found U+0007)');
  });

  it('refuses a control character in a field name, showing the name escaped', () => {
    expect(screenInput({ 'pl\u0000an': 'standard' }, '')).toBe('field name "pl\\u0000an" must not contain control characters (found U+0000)');
  });

  it('refuses an unpaired surrogate, which would be stored as U+FFFD', () => {
    expect(screenInput({ name: 'a\ud800b' }, '')).toBe('name must be well-formed Unicode (found an unpaired surrogate)');
  });

  it('reports the first problem in the order the fields were sent', () => {
    expect(screenInput({ a: 'fine', b: 'bad\u0001', c: 'bad\u0002' }, '')).toBe('b must not contain control characters (found U+0001)');
  });

  it(`allows ${MAX_INPUT_DEPTH} levels of nesting and refuses one more, naming the top-level field`, () => {
    expect(screenInput(nested(MAX_INPUT_DEPTH), '')).toBeUndefined();
    expect(screenInput(nested(MAX_INPUT_DEPTH + 1), '')).toBe(`request body is nested deeper than ${MAX_INPUT_DEPTH} levels`);
    expect(screenInput({ plan: nested(MAX_INPUT_DEPTH) }, '')).toBe(`plan is nested deeper than ${MAX_INPUT_DEPTH} levels`);
  });

  it('walks a hundred thousand levels without overflowing the stack', () => {
    expect(screenInput(nested(100_000), '')).toBe(`request body is nested deeper than ${MAX_INPUT_DEPTH} levels`);
    expect(screenInput(nested(100_000), '', 200_000)).toBeUndefined();
  });
});

describe('controlCharacterIn', () => {
  it('names the first control character, or nothing', () => {
    expect(controlCharacterIn('eve\u001b[31m\u0000')).toBe('U+001B');
    expect(controlCharacterIn('eve admin ü')).toBeUndefined();
  });
});

describe('escapeControlCharacters', () => {
  it('writes each control character as \\uXXXX and leaves the rest', () => {
    expect(escapeControlCharacters('a\u0000b\u001b[2J\nc\u0085 é')).toBe('a\\u0000b\\u001b[2J\\u000ac\\u0085 é');
    expect(escapeControlCharacters('plain')).toBe('plain');
  });
});
