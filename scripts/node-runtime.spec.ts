import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

// One Node.js LTS everywhere: the release scripts/node-runtime.sh installs, what package.json
// declares, what the image and docker-compose run, and the types the code compiles against.

const root = resolve(__dirname, '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');
const json = (file: string) => JSON.parse(read(file));

const runtime = json('scripts/node-runtime/package.json');
const pinned: string = runtime.version;
const major = pinned.split('.')[0];

describe('the Node.js LTS the project runs on', () => {
  it('is pinned once: the runtime packages are that release, locked with their integrity', () => {
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    const packages = Object.entries(runtime.optionalDependencies as Record<string, string>);
    expect(packages.length).toBeGreaterThan(0);
    const lock = json('scripts/node-runtime/package-lock.json');
    for (const [name, version] of packages) {
      expect(version).toBe(pinned);
      expect(lock.packages[`node_modules/${name}`]).toMatchObject({ version: pinned, integrity: expect.stringMatching(/^sha512-/) });
    }
  });

  it('is what package.json declares, and its types', () => {
    const manifest = json('package.json');
    expect(manifest.engines.node).toBe(`^${pinned}`);
    expect(manifest.devDependencies['@types/node']).toMatch(new RegExp(`^\\^?${major}\\.`));
    const lock = json('package-lock.json');
    expect(lock.packages[''].engines.node).toBe(`^${pinned}`);
  });

  it('is what the image and docker-compose run', () => {
    const images = [...read('infra/Dockerfile').matchAll(/^FROM node:(\S+)/gm), ...read('docker-compose.yml').matchAll(/image: node:(\S+)/g)].map((match) => match[1]);
    expect(images.length).toBeGreaterThanOrEqual(3);
    for (const tag of images) expect(tag).toMatch(new RegExp(`^${major}(\\.|-)`));
  });

  it('is the one the tests run on', () => {
    expect(process.versions.node.split('.')[0]).toBe(major);
  });

  it('is what every entry point uses: npm start, npm test, the scripts npm runs, and CI', () => {
    for (const script of ['scripts/start.sh', 'scripts/test.sh', 'scripts/with-dev-env.sh', '.ci/run']) {
      expect(read(script)).toContain('. scripts/node-runtime.sh');
    }
  });
});
