// The import boundaries of the tree as one ESLint rule (tenantry/boundaries), tests included:
// - an app (apps/<name>) never imports another app; a lib (libs/<name>) never imports an app, and
//   neither do the shared e2e support (test/support) and the dev tools (tools/<name>): they start
//   the built apps;
// - a lib is imported only through its public index, `@tenantry/<lib>` or `@tenantry/<lib>/testing`,
//   and test/support and tools/<name> only through `@tenantry/test-support` and `@tenantry/<name>`:
//   never by a relative path into them or a deep alias;
// - a unit's own files import each other relatively, never through the unit's own alias (its
//   index imports them back: a cycle); a lib's testing/ may reach into its own src/;
// - production code (apps/*/src and libs/*/src, their specs aside) never imports test code: no
//   `@tenantry/<lib>/testing`, `@tenantry/test-support` or `@tenantry/dev-issuer`, no path into a
//   testing/ or test/ folder;
// - scripts/ and bench/ are tools: they may import apps, and nothing imports them.
// A rule of our own rather than a plugin's because each check is a path comparison, and the
// messages can say what to import instead.
import { dirname, relative, resolve, sep } from 'node:path';

const root = resolve(import.meta.dirname, '..');

/** Specs beside production code are test code, whatever folder they sit in. */
const SPEC = /\.(spec|int-spec|e2e-spec)\.ts$/;

/** Aliases only test code imports. */
const TEST_ALIASES = /^@tenantry\/([a-z-]+\/testing|test-support|dev-issuer)$/;

/**
 * The unit a file belongs to: `apps/<name>` and `libs/<name>` (with the folder under it),
 * `test/support` and `tools/<name>` (packages with an alias of their own), `scripts` and `bench`
 * (tools); null outside those.
 */
function unitOf(file) {
  const parts = relative(root, file).split(sep);
  if ((parts[0] === 'apps' || parts[0] === 'libs') && parts.length > 2)
    return { kind: parts[0] === 'apps' ? 'app' : 'lib', name: parts[1], id: `${parts[0]}/${parts[1]}`, folder: parts[2] };
  if (parts[0] === 'test' && parts[1] === 'support') return { kind: 'package', id: 'test/support', alias: '@tenantry/test-support' };
  if (parts[0] === 'tools' && parts.length > 1) return { kind: 'package', id: `tools/${parts[1]}`, alias: `@tenantry/${parts[1]}` };
  if (parts[0] === 'scripts' || parts[0] === 'bench') return { kind: 'tool', name: parts[0], id: parts[0], folder: '' };
  return null;
}

/** Code that ships: an app's or a lib's src/, the specs in it aside. */
function isProduction(from, file) {
  return (from.kind === 'app' || from.kind === 'lib') && from.folder === 'src' && !SPEC.test(file);
}

function relativeProblem(from, target, production) {
  if (!target) return null;
  if (target.id === from.id) {
    if (production && (target.folder === 'testing' || target.folder === 'test'))
      return `production code never imports test code (${from.id}/src -> ${target.id}/${target.folder})`;
    return null;
  }
  if (target.kind === 'lib') {
    const alias = target.folder === 'testing' ? `@tenantry/${target.name}/testing` : `@tenantry/${target.name}`;
    return `import ${target.id} through its public index, '${alias}', not by a path into it`;
  }
  if (target.kind === 'package') return `import ${target.id} through '${target.alias}', not by a path into it`;
  if (target.kind === 'tool') return `${from.id} imports ${target.id}: nothing imports scripts/ or bench/`;
  if (from.kind === 'tool') return null;
  if (from.kind === 'package') return `${from.id} never imports an app's sources (${from.id} -> ${target.id}): it starts the built apps`;
  return from.kind === 'app' ? `an app never imports another app (${from.id} -> ${target.id})` : `a lib never imports an app (${from.id} -> ${target.id})`;
}

const ALIAS = /^@tenantry\/([a-z-]+)(\/(.+))?$/;

function aliasProblem(from, specifier, production) {
  const match = ALIAS.exec(specifier);
  if (!match) return null;
  const [, name, , rest] = match;
  if (rest !== undefined && rest !== 'testing')
    return `'${specifier}' reaches into ${name}: import '@tenantry/${name}' (or '@tenantry/${name}/testing') and let its index export what is needed`;
  if (production && TEST_ALIASES.test(specifier)) return `production code never imports test code or a dev tool: ${from.id}/src imports '${specifier}'`;
  const ownAlias =
    (from?.kind === 'lib' && from.name === name && ((from.folder === 'src' && rest === undefined) || (from.folder === 'testing' && rest === 'testing'))) ||
    (from?.kind === 'package' && from.alias === specifier);
  if (ownAlias) return `${from.id} imports its own alias '${specifier}': import the file relatively (the index would import this file back)`;
  return null;
}

export const boundaries = {
  rules: {
    boundaries: {
      meta: {
        type: 'problem',
        docs: {
          description:
            'Apps never import apps, libs and test support never import apps, a lib or package is imported only through its alias, production code never imports test code.',
        },
        schema: [],
      },
      create(context) {
        const from = unitOf(context.filename);
        if (!from) return {};
        const production = isProduction(from, context.filename);
        const check = (source) => {
          if (!source || typeof source.value !== 'string') return;
          const specifier = source.value;
          const problem = specifier.startsWith('.')
            ? relativeProblem(from, unitOf(resolve(dirname(context.filename), specifier)), production)
            : aliasProblem(from, specifier, production);
          if (problem) context.report({ node: source, message: problem });
        };
        return {
          ImportDeclaration: (node) => check(node.source),
          ExportAllDeclaration: (node) => check(node.source),
          ExportNamedDeclaration: (node) => check(node.source),
          ImportExpression: (node) => check(node.source),
          TSImportEqualsDeclaration: (node) => check(node.moduleReference.expression),
          'CallExpression[callee.name="require"]': (node) => check(node.arguments[0]),
        };
      },
    },
  },
};
