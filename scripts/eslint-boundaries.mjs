// The import boundaries of the tree as one ESLint rule (tenantry/boundaries), tests included:
// - an app (apps/<name>) never imports another app; a lib (libs/<name>) never imports an app;
// - a lib is imported only through its public index: `@tenantry/<lib>` or `@tenantry/<lib>/testing`
//   (`@tenantry/testing` is common's), never by a relative path into it or a deep alias;
// - a lib's own files import each other relatively, never through the lib's alias (its index
//   imports them back: a cycle);
// - scripts/ and bench/ are tools: they may import apps, and nothing imports them.
// A rule of our own rather than a plugin's because each check is a path comparison, and the
// messages can say what to import instead. Its one option, `allow: [{ from, to }]` (globs from the
// repository root, `to` naming the file imported), admits named exceptions, each with its reason
// in eslint.config.mjs.
import { dirname, relative, resolve, sep } from 'node:path';

const root = resolve(import.meta.dirname, '..');

/** `*` within a path segment, `**` across them (path.matchesGlob would do, but still warns that it is experimental). */
function matchesGlob(path, glob) {
  const pattern = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*\*|\*/g, (star) => (star === '**' ? '.*' : '[^/]*'));
  return new RegExp(`^${pattern}$`).test(path);
}

/** `apps/<name>`, `libs/<name>`, `scripts`, `bench`, or null outside those. */
function unitOf(file) {
  const parts = relative(root, file).split(sep);
  if ((parts[0] === 'apps' || parts[0] === 'libs') && parts.length > 2)
    return { kind: parts[0] === 'apps' ? 'app' : 'lib', name: parts[1], id: `${parts[0]}/${parts[1]}`, folder: parts[2] };
  if (parts[0] === 'scripts' || parts[0] === 'bench') return { kind: 'tool', name: parts[0], id: parts[0], folder: '' };
  return null;
}

function relativeProblem(from, target) {
  if (!target || target.id === from.id) return null;
  if (target.kind === 'lib') {
    const alias = target.folder === 'testing' ? (target.name === 'common' ? '@tenantry/testing' : `@tenantry/${target.name}/testing`) : `@tenantry/${target.name}`;
    return `import ${target.id} through its public index, '${alias}', not by a path into it`;
  }
  if (target.kind === 'tool') return `${from.id} imports ${target.id}: nothing imports scripts/ or bench/`;
  if (from.kind === 'tool') return null;
  return from.kind === 'app' ? `an app never imports another app (${from.id} -> ${target.id})` : `a lib never imports an app (${from.id} -> ${target.id})`;
}

const ALIAS = /^@tenantry\/([a-z-]+)(\/(.+))?$/;

function aliasProblem(from, specifier) {
  const match = ALIAS.exec(specifier);
  if (!match) return null;
  const [, name, , rest] = match;
  if (rest !== undefined && rest !== 'testing')
    return `'${specifier}' reaches into ${name}: import '@tenantry/${name}' (or '@tenantry/${name}/testing') and let its index export what is needed`;
  if (from?.kind === 'lib' && from.name === name && from.folder === 'src' && rest === undefined)
    return `${from.id} imports its own alias '${specifier}': import the file relatively (the index would import this file back)`;
  return null;
}

export const boundaries = {
  rules: {
    boundaries: {
      meta: {
        type: 'problem',
        docs: { description: 'Apps never import apps, libs never import apps, a lib is imported only through its public index.' },
        schema: [
          {
            type: 'object',
            properties: {
              allow: {
                type: 'array',
                items: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' } }, required: ['from', 'to'], additionalProperties: false },
              },
            },
            additionalProperties: false,
          },
        ],
      },
      create(context) {
        const from = unitOf(context.filename);
        if (!from) return {};
        const fromPath = relative(root, context.filename).split(sep).join('/');
        const allowed = (context.options[0]?.allow ?? []).filter((exception) => matchesGlob(fromPath, exception.from));
        const check = (source) => {
          if (!source || typeof source.value !== 'string') return;
          const specifier = source.value;
          if (specifier.startsWith('.')) {
            const target = resolve(dirname(context.filename), specifier);
            const targetPath = relative(root, target).split(sep).join('/');
            if (allowed.some((exception) => matchesGlob(targetPath, exception.to) || matchesGlob(`${targetPath}.ts`, exception.to))) return;
            const problem = relativeProblem(from, unitOf(target));
            if (problem) context.report({ node: source, message: problem });
            return;
          }
          const problem = aliasProblem(from, specifier);
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
