import { z } from 'zod';
import { settingsProblems } from '@tenantry/common/testing';
import { combineSettings, defineSettings, loadSettings, mapSettings, type RawEnv } from './settings';

const port = defineSettings({ variables: { PORT: z.coerce.number().int().max(65535).default(3000) }, build: (e) => e.PORT });
const pair = defineSettings({
  variables: { LOW: z.coerce.number().default(1), HIGH: z.coerce.number().default(2) },
  precheck: (env: RawEnv) => (env.NEEDED === undefined ? ['NEEDED: is required'] : []),
  build: (e, problems) => {
    if (e.LOW > e.HIGH) problems.push(`LOW: ${e.LOW} is above HIGH (${e.HIGH})`);
    return { low: e.LOW, high: e.HIGH };
  },
});

describe('settings', () => {
  it('hands each part its slice, with the defaults', () => {
    expect(loadSettings(combineSettings({ port, pair }), { NEEDED: 'x' })).toEqual({ port: 3000, pair: { low: 1, high: 2 } });
    expect(loadSettings(mapSettings(pair, ({ low }) => low * 10), { NEEDED: 'x', LOW: '0' })).toBe(0);
  });

  it('lists every problem of every part at once, naming the setting, a precheck with the bad variables', () => {
    expect(settingsProblems(combineSettings({ port, pair }), { PORT: '70000', HIGH: 'many' })).toEqual([
      expect.stringMatching(/^PORT: /),
      expect.stringMatching(/^HIGH: /),
      'NEEDED: is required',
    ]);
  });

  it('lists a problem across variables with the prechecks once every variable is well-formed', () => {
    expect(settingsProblems(combineSettings({ port, pair }), { LOW: '5', HIGH: '2' })).toEqual([
      'NEEDED: is required',
      'LOW: 5 is above HIGH (2)',
    ]);
  });

  it('reads a variable that two parts share once, and lists its problem once', () => {
    const again = mapSettings(pair, ({ high }) => high);
    expect(loadSettings(combineSettings({ pair, again }), { NEEDED: 'x', HIGH: '7' })).toEqual({ pair: { low: 1, high: 7 }, again: 7 });
    expect(settingsProblems(combineSettings({ pair, again }), { HIGH: '7' })).toEqual(['NEEDED: is required']);
  });

  it('refuses two definitions of one variable, which two processes could check differently', () => {
    const otherPort = defineSettings({ variables: { PORT: z.string() }, build: (e) => e.PORT });
    expect(() => combineSettings({ port, otherPort })).toThrow('PORT has two definitions; share one');
  });
});
