/** How deeply a request value may nest: far beyond any DTO here, far below what recursive libraries survive. */
export const MAX_INPUT_DEPTH = 32;

// C0, DEL and C1. PostgreSQL cannot store U+0000 at all; the others forge lines in logs, terminals and audit views.
// eslint-disable-next-line no-control-regex -- control characters are what it matches
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_CHARACTERS = new RegExp(CONTROL_CHARACTER.source, 'g');

const codePoint = (character: string) => `U+${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/** The first control character in `text`, as `U+XXXX`; undefined when there is none. */
export function controlCharacterIn(text: string): string | undefined {
  const found = CONTROL_CHARACTER.exec(text);
  return found ? codePoint(found[0]) : undefined;
}

/** `text` with each control character written as `\uXXXX`, for a record that must be kept whatever it holds. */
export function escapeControlCharacters(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** What is wrong with one string of a request, named by its field; undefined when nothing is. */
function textProblem(field: string, text: string): string | undefined {
  const control = controlCharacterIn(text);
  if (control) return `${field} must not contain control characters (found ${control})`;
  if (!text.isWellFormed()) return `${field} must be well-formed Unicode (found an unpaired surrogate)`;
  return undefined;
}

/**
 * The first problem with a parsed request value (a body, a query, a path parameter), or undefined:
 * nesting deeper than `maxDepth`, or a control character or unpaired surrogate in any string or
 * field name. Fields are named as class-validator names them (`lines.1.sku`); `field` names the
 * value itself ('' for a body). The walk keeps its own stack, so no depth can overflow the call stack.
 */
export function screenInput(value: unknown, field: string, maxDepth = MAX_INPUT_DEPTH): string | undefined {
  // `top`: what a too-deep value is named by, its field in the body (a path of 33 segments would name nothing).
  const pending: Array<{ value: unknown; path: string; top: string; depth: number }> = [{ value, path: field, top: field || 'request body', depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { path, top, depth } = next;
    if (typeof next.value === 'string') {
      const problem = textProblem(path || 'request body', next.value);
      if (problem) return problem;
      continue;
    }
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (depth >= maxDepth) return `${top} is nested deeper than ${maxDepth} levels`;
    const namesFields = depth === 0 && !field && !Array.isArray(next.value);
    const entries: Array<[string, unknown]> = Object.entries(next.value);
    for (const [key] of entries) {
      const keyProblem = textProblem(`field name ${JSON.stringify(key)}`, key);
      if (keyProblem) return keyProblem;
    }
    // Last field first onto the stack, so fields are screened in the order they were sent.
    for (let index = entries.length - 1; index >= 0; index -= 1) {
      const [key, child] = entries[index];
      pending.push({ value: child, path: path ? `${path}.${key}` : key, top: namesFields ? key : top, depth: depth + 1 });
    }
  }
  return undefined;
}
