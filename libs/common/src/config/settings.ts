import { z } from 'zod';

export type RawEnv = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

type Variables = Record<string, z.ZodType>;
type Parsed<V extends Variables> = { [K in keyof V]: z.output<V[K]> };

/**
 * What one lib reads from the environment: its variables, each with its check and default, and
 * how they become the lib's options. A process combines the settings of the libs it imports and
 * loads them once; each lib gets its slice.
 */
export interface Settings<T> {
  readonly variables: Variables;
  /** Problems across variables, found in the raw env so they are listed even when a variable fails its own check. */
  readonly precheck: (env: RawEnv) => string[];
  /** The options from the checked variables; a problem across them is pushed to `problems`, to be listed with the rest. */
  readonly build: (parsed: Record<string, unknown>, problems: string[]) => T;
}

export type SettingsOf<S> = S extends Settings<infer T> ? T : never;

export function defineSettings<V extends Variables, T>(spec: {
  variables: V;
  precheck?: (env: RawEnv) => string[];
  build: (env: Parsed<V>, problems: string[]) => T;
}): Settings<T> {
  return {
    variables: spec.variables,
    precheck: spec.precheck ?? (() => []),
    build: (parsed, problems) => spec.build(parsed as Parsed<V>, problems),
  };
}

/**
 * Several libs' settings read as one, each slice under its key. A variable that two libs read must
 * be one definition (the same schema), so every process checks it alike.
 */
export function combineSettings<P extends Record<string, Settings<unknown>>>(parts: P): Settings<{ [K in keyof P]: SettingsOf<P[K]> }> {
  const variables: Variables = {};
  for (const part of Object.values(parts)) {
    for (const [name, schema] of Object.entries(part.variables)) {
      if (variables[name] !== undefined && variables[name] !== schema) throw new Error(`${name} has two definitions; share one`);
      variables[name] = schema;
    }
  }
  return {
    variables,
    precheck: (env) => Object.values(parts).flatMap((part) => part.precheck(env)),
    build: (parsed, problems) =>
      Object.fromEntries(Object.entries(parts).map(([key, part]) => [key, part.build(parsed, problems)])) as { [K in keyof P]: SettingsOf<P[K]> },
  };
}

/** The same variables shaped as another options type (a lib's options built from the settings it composes). */
export function mapSettings<T, U>(settings: Settings<T>, map: (value: T) => U): Settings<U> {
  return { ...settings, build: (parsed, problems) => map(settings.build(parsed, problems)) };
}

const distinct = (problems: string[]) => [...new Set(problems)];

/** Every problem at once, each naming its setting, as a ConfigError; else each lib's slice. */
export function loadSettings<T>(settings: Settings<T>, env: RawEnv): T {
  const problems = settings.precheck(env);
  const parsed = z.object(settings.variables).safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(distinct([...parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`), ...problems]));
  }
  const value = settings.build(parsed.data, problems);
  if (problems.length > 0) throw new ConfigError(distinct(problems));
  return value;
}

/** A bad setting stops the process with every problem listed, with `exitCode`. */
export function orExit<T>(load: () => T, exitCode = 1): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(exitCode);
    }
    throw error;
  }
}

/** The one read of the process environment; a bad setting stops the process with every problem listed (exit 1 unless a CLI says otherwise). */
export function loadSettingsOrExit<T>(settings: Settings<T>, exitCode = 1): T {
  return orExit(() => loadSettings(settings, process.env), exitCode);
}
