/** The lines of a process's log that report a warning or an error: what a test that saw a wrong answer prints. */
export function errorLines(log: string): string {
  return log
    .split('\n')
    .filter((line) => /error|"level":[45]0/i.test(line))
    .join('\n');
}
