import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Enough of Bicep to check the templates without a compiler (none can be installed here): the
 * resources each file declares, and the property paths their bodies write and their symbols read,
 * with the literal values written. Values that come from variables, functions (the file's own or
 * imported) and module parameters are followed to where they are written, so a scale rule built in
 * main.bicep counts as written under the container app that receives it.
 */

interface Token {
  kind: 'ident' | 'string' | 'number' | 'punct' | 'nl';
  text: string;
  /** A string with ${…} in it: its value is not known here. */
  interpolated?: boolean;
  /** The tokens of each ${…} in it, where resource properties are read too. */
  inner?: Token[][];
}

const PUNCTUATION = [
  '=>',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '??',
  '.?',
  '[?',
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  ':',
  ',',
  '.',
  '?',
  '=',
  '<',
  '>',
  '!',
  '+',
  '-',
  '*',
  '/',
  '%',
  '@',
  '|',
];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const char = source[i];
    if (char === '\n') {
      tokens.push({ kind: 'nl', text: '\n' });
      i++;
    } else if (/\s/.test(char)) {
      i++;
    } else if (source.startsWith('//', i)) {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (source.startsWith('/*', i)) {
      i = source.indexOf('*/', i + 2) + 2;
    } else if (source.startsWith("'''", i)) {
      const end = source.indexOf("'''", i + 3);
      tokens.push({ kind: 'string', text: source.slice(i + 3, end) });
      i = end + 3;
    } else if (char === "'") {
      const [text, interpolations, end] = readString(source, i);
      tokens.push({ kind: 'string', text, interpolated: interpolations.length > 0, inner: interpolations.map(tokenize) });
      i = end;
    } else if (/[A-Za-z_]/.test(char)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))?.[0] ?? char;
      tokens.push({ kind: 'ident', text: match });
      i += match.length;
    } else if (/[0-9]/.test(char)) {
      const match = /^[0-9]+/.exec(source.slice(i))?.[0] ?? char;
      tokens.push({ kind: 'number', text: match });
      i += match.length;
    } else {
      const punct = PUNCTUATION.find((candidate) => source.startsWith(candidate, i));
      if (!punct) throw new Error(`unexpected ${JSON.stringify(char)} at ${i}`);
      tokens.push({ kind: 'punct', text: punct });
      i += punct.length;
    }
  }
  return tokens;
}

/** A '…' string from `start`: its text, the source of each ${…} in it, and where it ends. */
function readString(source: string, start: number): [string, string[], number] {
  let i = start + 1;
  let text = '';
  const interpolations: string[] = [];
  while (source[i] !== "'") {
    if (source[i] === '\\') {
      text += source[i + 1];
      i += 2;
    } else if (source.startsWith('${', i)) {
      let depth = 1;
      const from = (i += 2);
      while (depth > 0) {
        if (source[i] === "'") i = readString(source, i)[2];
        else {
          if (source[i] === '{') depth++;
          if (source[i] === '}') depth--;
          i++;
        }
      }
      interpolations.push(source.slice(from, i - 1));
      text += '${…}';
    } else {
      text += source[i++];
    }
  }
  return [text, interpolations, i + 1];
}

export type Node =
  | { k: 'obj'; entries: { key: string | null; value: Node }[] }
  | { k: 'arr'; items: Node[] }
  | { k: 'call'; name: string; args: Node[] }
  | { k: 'lambda'; body: Node }
  | { k: 'ident'; name: string }
  | { k: 'member'; base: Node; path: string[] }
  | { k: 'alt'; options: Node[] }
  | { k: 'lit'; value: string | null }
  | { k: 'opaque' };

const COMPARISON = new Set(['==', '!=', '<', '>', '<=', '>=', '&&', '||', '+', '-', '*', '/', '%']);

class Parser {
  private position = 0;
  /** Inside (…) newlines separate nothing; inside {…} and […] they separate entries. */
  private readonly contexts: ('paren' | 'block')[] = ['block'];

  constructor(private readonly tokens: Token[]) {}

  /** The line the parser is on, for error messages. */
  get line(): number {
    return this.tokens.slice(0, this.position).filter((token) => token.kind === 'nl').length + 1;
  }

  get done(): boolean {
    return this.position >= this.tokens.length;
  }

  peek(offset = 0): Token | undefined {
    if (this.contexts[this.contexts.length - 1] === 'paren') this.skipNewlines();
    return this.tokens[this.position + offset];
  }

  next(): Token {
    const token = this.peek();
    if (!token) throw new Error('unexpected end of file');
    this.position++;
    return token;
  }

  is(text: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token?.text === text && token.kind !== 'string';
  }

  expect(text: string): void {
    const token = this.next();
    if (token.text !== text) throw new Error(`expected ${text}, found ${token.text}`);
  }

  skipNewlines(): void {
    while (this.tokens[this.position]?.kind === 'nl') this.position++;
  }

  /** The next non-newline token's text, without taking anything. */
  private afterNewlines(): string | undefined {
    let i = this.position;
    while (this.tokens[i]?.kind === 'nl') i++;
    return this.tokens[i]?.text;
  }

  /** Skips to the end of the line, over anything bracketed. */
  skipLine(): void {
    let depth = 0;
    while (!this.done) {
      const token = this.tokens[this.position];
      if (token.kind === 'nl' && depth === 0) return;
      if (token.kind === 'punct' && '([{'.includes(token.text)) depth++;
      if (token.kind === 'punct' && ')]}'.includes(token.text)) depth--;
      this.position++;
    }
  }

  expression(): Node {
    const test = this.coalesce();
    if (this.continues('?')) {
      this.skipNewlines();
      this.expect('?');
      const whenTrue = this.expression();
      if (this.continues(':')) this.skipNewlines();
      this.expect(':');
      return { k: 'alt', options: [whenTrue, this.expression()] };
    }
    return test;
  }

  /** A ternary may go on on the next line (`\n  ? a\n  : b`). */
  private continues(text: string): boolean {
    return this.is(text) || (this.tokens[this.position]?.kind === 'nl' && this.afterNewlines() === text);
  }

  private coalesce(): Node {
    const options = [this.binary()];
    while (this.is('??')) {
      this.next();
      options.push(this.binary());
    }
    return options.length === 1 ? options[0] : { k: 'alt', options };
  }

  private binary(): Node {
    let node = this.unary();
    while (this.peek()?.kind === 'punct' && COMPARISON.has(this.peek()?.text ?? '')) {
      this.next();
      this.unary();
      node = { k: 'opaque' };
    }
    return node;
  }

  private unary(): Node {
    if (this.is('!') || this.is('-')) {
      this.next();
      this.unary();
      return { k: 'opaque' };
    }
    return this.postfix();
  }

  private postfix(): Node {
    let node = this.primary();
    for (;;) {
      if (this.is('.') || this.is('.?')) {
        this.next();
        const name = this.next().text;
        if (this.is('(')) node = { k: 'call', name: memberName(node, name), args: this.args() };
        else node = node.k === 'member' ? { ...node, path: [...node.path, name] } : { k: 'member', base: node, path: [name] };
      } else if (this.is('[') || this.is('[?')) {
        this.next();
        this.inContext('paren', () => this.expression());
        this.expect(']');
        node = node.k === 'member' ? { ...node, path: [...node.path, '[]'] } : { k: 'member', base: node, path: ['[]'] };
      } else if (this.is('(') && node.k === 'ident') {
        node = { k: 'call', name: node.name, args: this.args() };
      } else {
        return node;
      }
    }
  }

  private args(): Node[] {
    return this.inContext('paren', () => {
      this.expect('(');
      const args: Node[] = [];
      while (!this.is(')')) {
        args.push(this.expression());
        if (this.is(',')) this.next();
      }
      this.expect(')');
      return args;
    });
  }

  private primary(): Node {
    const token = this.next();
    if (token.kind === 'string') return { k: 'lit', value: token.interpolated ? null : token.text };
    if (token.kind === 'number') return { k: 'lit', value: null };
    if (token.text === '{') return this.object();
    if (token.text === '[') return this.array();
    if (token.text === '(') {
      // A parenthesized expression, or a lambda's parameters.
      const start = this.position;
      let depth = 1;
      while (depth > 0) {
        const t = this.tokens[this.position++];
        if (t.text === '(') depth++;
        if (t.text === ')') depth--;
      }
      if (this.is('=>')) {
        this.next();
        return { k: 'lambda', body: this.expression() };
      }
      this.position = start;
      const inner = this.inContext('paren', () => this.expression());
      this.expect(')');
      return inner;
    }
    if (token.kind === 'ident') {
      if (['true', 'false', 'null'].includes(token.text)) return { k: 'lit', value: null };
      if (this.is('=>')) {
        this.next();
        return { k: 'lambda', body: this.expression() };
      }
      return { k: 'ident', name: token.text };
    }
    throw new Error(`unexpected ${token.text}`);
  }

  private object(): Node {
    return this.inContext('block', () => {
      const entries: { key: string | null; value: Node }[] = [];
      this.skipNewlines();
      while (!this.is('}')) {
        const key = this.next();
        this.expect(':');
        entries.push({ key: key.interpolated ? null : key.text, value: this.expression() });
        if (this.is(',')) this.next();
        this.skipNewlines();
      }
      this.expect('}');
      return { k: 'obj', entries };
    });
  }

  private array(): Node {
    return this.inContext('block', () => {
      this.skipNewlines();
      if (this.is('for')) {
        this.next();
        while (!this.is('in')) this.next();
        this.next();
        this.inContext('paren', () => this.expression());
        this.expect(':');
        if (this.is('if')) {
          this.next();
          this.args();
        }
        const body = this.expression();
        this.skipNewlines();
        this.expect(']');
        return { k: 'arr', items: [body] };
      }
      const items: Node[] = [];
      while (!this.is(']')) {
        items.push(this.expression());
        if (this.is(',')) this.next();
        this.skipNewlines();
      }
      this.expect(']');
      return { k: 'arr', items };
    });
  }

  private inContext<T>(context: 'paren' | 'block', work: () => T): T {
    this.contexts.push(context);
    try {
      return work();
    } finally {
      this.contexts.pop();
    }
  }
}

function memberName(node: Node, name: string): string {
  return node.k === 'ident' ? `${node.name}.${name}` : name;
}

export interface ResourceDeclaration {
  file: string;
  symbol: string;
  type: string;
  version: string;
  existing: boolean;
  body: Node;
}

interface ModuleCall {
  file: string;
  path: string;
  params: Map<string, Node>;
}

export interface BicepFile {
  file: string;
  params: Set<string>;
  vars: Map<string, Node>;
  funcs: Map<string, Node>;
  imports: Map<string, string>;
  resources: ResourceDeclaration[];
  modules: ModuleCall[];
  /** Every `symbol.a.b` read of the file, by symbol. */
  reads: { symbol: string; path: string[] }[];
}

/** The body of `= if (…) {…}`, `= [for …: {…}]` or `= {…}`. */
function declarationBody(parser: Parser): Node {
  if (parser.is('if')) {
    parser.next();
    parser.skipNewlines();
    parser.expression();
  }
  const body = parser.expression();
  return body.k === 'arr' && body.items.length === 1 ? body.items[0] : body;
}

export function parseBicep(file: string): BicepFile {
  const source = readFileSync(file, 'utf8');
  const tokens = tokenize(source);
  const parsed: BicepFile = { file, params: new Set(), vars: new Map(), funcs: new Map(), imports: new Map(), resources: [], modules: [], reads: [] };
  const parser = new Parser(tokens);
  try {
    parseDeclarations(parser, parsed, file);
  } catch (error) {
    throw new Error(`${file}:${parser.line}: ${(error as Error).message}`, { cause: error });
  }
  collectReads(tokens, parsed);
  return parsed;
}

function parseDeclarations(parser: Parser, parsed: BicepFile, file: string): void {
  while (!parser.done) {
    parser.skipNewlines();
    if (parser.done) break;
    const keyword = parser.next();
    if (keyword.text === '@') {
      parser.skipLine();
      continue;
    }
    if (keyword.kind !== 'ident') throw new Error(`${file}: unexpected ${keyword.text} at top level`);
    switch (keyword.text) {
      case 'param':
        parsed.params.add(parser.next().text);
        parser.skipLine();
        break;
      case 'var': {
        const name = parser.next().text;
        parser.expect('=');
        parsed.vars.set(name, parser.expression());
        break;
      }
      case 'func': {
        const name = parser.next().text;
        while (!parser.is('=>')) parser.next();
        parser.next();
        parser.skipNewlines();
        parsed.funcs.set(name, parser.expression());
        break;
      }
      case 'import': {
        const names: string[] = [];
        parser.expect('{');
        while (!parser.is('}')) {
          const token = parser.next();
          if (token.kind === 'ident') names.push(token.text);
        }
        parser.next();
        parser.expect('from');
        const from = resolve(dirname(file), parser.next().text);
        for (const name of names) parsed.imports.set(name, from);
        break;
      }
      case 'resource': {
        const symbol = parser.next().text;
        const [type, version] = parser.next().text.split('@');
        const existing = parser.is('existing');
        if (existing) parser.next();
        parser.expect('=');
        parsed.resources.push({ file, symbol, type, version, existing, body: declarationBody(parser) });
        break;
      }
      case 'module': {
        parser.next();
        const path = resolve(dirname(file), parser.next().text);
        parser.expect('=');
        const body = declarationBody(parser);
        const params = body.k === 'obj' ? body.entries.find((entry) => entry.key === 'params')?.value : undefined;
        parsed.modules.push({
          file,
          path,
          params: new Map(params?.k === 'obj' ? params.entries.map((entry) => [entry.key ?? '', entry.value]) : []),
        });
        break;
      }
      default:
        // targetScope, metadata, output and type declarations write no resource property.
        parser.skipLine();
    }
  }
}

function collectReads(tokens: Token[], parsed: BicepFile): void {
  const symbols = new Set(parsed.resources.map((resource) => resource.symbol));
  for (const token of tokens) for (const inner of token.inner ?? []) collectReads(inner, parsed);
  for (let i = 0; i < tokens.length; i++) {
    const previous = tokens[i - 1] as Token | undefined;
    if (tokens[i].kind !== 'ident' || !symbols.has(tokens[i].text) || previous?.text === '.' || tokens[i + 1]?.text === ':') continue;
    const path: string[] = [];
    let j = i + 1;
    while (tokens[j] && ['.', '.?', '[', '[?'].includes(tokens[j].text) && tokens[j].kind === 'punct') {
      if (tokens[j].text.startsWith('[')) {
        let depth = 1;
        j++;
        while (depth > 0) {
          if (tokens[j].text === '[') depth++;
          if (tokens[j].text === ']') depth--;
          j++;
        }
        if (path.length > 0) path.push('[]');
        continue;
      }
      const name = tokens[j + 1]?.text;
      if (tokens[j + 2]?.text === '(') break;
      path.push(name);
      j += 2;
    }
    if (path.length > 0) parsed.reads.push({ symbol: tokens[i].text, path });
  }
}

/** Property path (dots; `*` for a key computed at deployment) -> the literal strings written there (null: not a literal). */
export type Shape = Map<string, Set<string | null>>;

const BICEP_KEYWORDS = new Set(['parent', 'scope', 'dependsOn']);

/** Follows values through the files: variables, functions, imports, and module parameters to their callers' arguments. */
export class BicepProgram {
  private readonly files = new Map<string, BicepFile>();

  constructor(paths: string[]) {
    for (const path of paths) this.files.set(path, parseBicep(path));
  }

  get all(): BicepFile[] {
    return [...this.files.values()];
  }

  /** What each resource body writes, keyed by file and symbol; Bicep's own keys (parent, scope, dependsOn) left out. */
  writes(resource: ResourceDeclaration): Shape {
    const shape = this.shapeOf(resource.body, resource.file, new Set());
    return new Map([...shape].filter(([path]) => !BICEP_KEYWORDS.has(path.split('.')[0])));
  }

  /** The property paths each resource's symbol is read at (`server.properties.fullyQualifiedDomainName`). */
  reads(resource: ResourceDeclaration): string[] {
    const file = this.files.get(resource.file) as BicepFile;
    return [...new Set(file.reads.filter((read) => read.symbol === resource.symbol).map((read) => read.path.filter((part) => part !== '[]').join('.')))];
  }

  private shapeOf(node: Node, file: string, seen: Set<string>): Shape {
    const shape: Shape = new Map();
    const merge = (from: Shape, prefix = '') => {
      for (const [path, values] of from) {
        const full = prefix && path ? `${prefix}.${path}` : prefix || path;
        const into = shape.get(full) ?? new Set();
        for (const value of values) into.add(value);
        shape.set(full, into);
      }
    };
    switch (node.k) {
      case 'obj':
        for (const { key, value } of node.entries) {
          const name = key ?? '*';
          const literal = value.k === 'lit' ? value.value : null;
          merge(new Map([['', new Set([literal])]]), name);
          merge(this.shapeOf(value, file, seen), name);
        }
        shape.delete('');
        break;
      case 'arr':
        for (const item of node.items) merge(this.shapeOf(item, file, seen));
        break;
      case 'alt':
        for (const option of node.options) merge(this.shapeOf(option, file, seen));
        break;
      case 'lambda':
        merge(this.shapeOf(node.body, file, seen));
        break;
      case 'call': {
        const own = this.lookup(node.name, 'funcs', file);
        if (own) merge(this.shapeOf(own.node, own.file, seen));
        // map's array is not its result; filter's and sort's predicates are not either.
        else if (node.name === 'map') merge(this.shapeOf(node.args[1], file, seen));
        else if (node.name === 'filter' || node.name === 'sort') merge(this.shapeOf(node.args[0], file, seen));
        else for (const arg of node.args) merge(this.shapeOf(arg, file, seen));
        break;
      }
      case 'ident': {
        const key = `${file}#${node.name}`;
        if (seen.has(key)) break;
        const inner = new Set(seen).add(key);
        const variable = this.lookup(node.name, 'vars', file);
        if (variable) merge(this.shapeOf(variable.node, variable.file, inner));
        else if (this.files.get(file)?.params.has(node.name)) {
          for (const caller of this.all) {
            for (const call of caller.modules.filter((module) => module.path === file)) {
              const argument = call.params.get(node.name);
              if (argument) merge(this.shapeOf(argument, caller.file, inner));
            }
          }
        }
        break;
      }
      default:
    }
    return shape;
  }

  private lookup(name: string, kind: 'vars' | 'funcs', file: string): { node: Node; file: string } | undefined {
    const parsed = this.files.get(file);
    const own = parsed?.[kind].get(name);
    if (own) return { node: own, file };
    const from = parsed?.imports.get(name);
    const imported = from ? this.files.get(from)?.[kind].get(name) : undefined;
    return imported && from ? { node: imported, file: from } : undefined;
  }
}

/** The BullMQ keys main.bicep's worker scale rules watch, under <prefix>:<queue>:. */
export function backlogKeys(main: string): string[] {
  return [...(/^var backlogKeys = \[([^\]]*)\]$/m.exec(main)?.[1].matchAll(/'(\w+)'/g) ?? [])].map(([, key]) => key);
}
