/** Runs `work` once and shares its promise; a failure is forgotten, so the next call tries again. */
export function onceUntilFailure(work: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= work().catch((error: unknown) => {
      done = undefined;
      throw error;
    });
    return done;
  };
}
