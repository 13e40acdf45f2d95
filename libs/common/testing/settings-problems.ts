import { ConfigError, loadSettings, type RawEnv, type Settings } from '../src';

/** The problems loading `settings` from `env` lists (none: it loads). */
export function settingsProblems(settings: Settings<unknown>, env: RawEnv): string[] {
  try {
    loadSettings(settings, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
