/** The BullMQ keys main.bicep's worker scale rules watch, under <prefix>:<queue>:. */
export function backlogKeys(main: string): string[] {
  return [...(/^var backlogKeys = \[([^\]]*)\]$/m.exec(main)?.[1].matchAll(/'(\w+)'/g) ?? [])].map(([, key]) => key);
}
