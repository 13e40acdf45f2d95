import { InvalidTenantKey } from '@tenantry/common';
import { tenantCacheKeys } from './tenant-cache-keys';

describe('tenantCacheKeys', () => {
  const id = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

  it('keeps the documented shape for a registry id, under the tenant prefix', () => {
    expect(tenantCacheKeys.entry('connection', id)).toBe(`tenant:connstr:${id}`);
    expect(tenantCacheKeys.generation(id)).toBe(`tenant:gen:${id}`);
  });

  it('names every entry of a tenant, each a key of its own under the tenant prefix, apart from the generation', () => {
    const entries = tenantCacheKeys.entries(id);
    expect(entries).toContain(tenantCacheKeys.entry('connection', id));
    expect(new Set([...entries, tenantCacheKeys.generation(id)]).size).toBe(entries.length + 1);
    for (const key of entries) expect(key).toMatch(new RegExp(`^tenant:[a-z]+:${id}$`));
  });

  it('gives ids chosen to collide (separators, case, Unicode forms, encodings) keys of their own', () => {
    const tricky = [
      id,
      id.toUpperCase(),
      `${id}:`,
      `${id}:x`,
      `tenant:connstr:${id}`,
      `${id}\u0000`,
      ` ${id}`,
      `{${id}}`,
      'café',
      'cafe\u0301',
      'caf%C3%A9',
      'a:b',
      'a%3Ab',
      'a/b',
      'ǅ',
      'Dž',
      'ß',
      'ss',
      'İ',
      'i̇',
    ];
    const keys = tricky.map((value) => Buffer.from(tenantCacheKeys.entry('connection', value), 'utf8').toString('hex'));
    expect(new Set(keys).size).toBe(tricky.length);
    for (const key of tricky.map((value) => tenantCacheKeys.entry('connection', value))) {
      expect(key.startsWith('tenant:connstr:')).toBe(true);
      expect(key.slice('tenant:connstr:'.length)).not.toContain(':');
    }
  });

  it('refuses ids that would collide on the wire: lone surrogates, empty, overlong', () => {
    // Both become U+FFFD when written as UTF-8: they would share one Redis key.
    expect(Buffer.from('\ud800').equals(Buffer.from('\udbff'))).toBe(true);
    for (const bad of ['\ud800', '\udbff', `${id}\udc00`, '', 'x'.repeat(129)]) {
      expect(() => tenantCacheKeys.entry('connection', bad)).toThrow(InvalidTenantKey);
      expect(() => tenantCacheKeys.generation(bad)).toThrow(InvalidTenantKey);
      expect(() => tenantCacheKeys.entries(bad)).toThrow(InvalidTenantKey);
    }
  });
});
