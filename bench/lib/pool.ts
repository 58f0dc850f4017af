/**
 * Calls `fn(0)`, `fn(1)`, … `fn(count - 1)` with at most `concurrency` calls in flight, in
 * index order. The first failure stops new calls; it is thrown once the calls in flight have
 * settled, so nothing is left running behind the caller's back.
 */
export async function forEachConcurrent(
  count: number,
  concurrency: number,
  fn: (index: number) => Promise<void>,
): Promise<void> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, not ${concurrency}`);
  }
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < count) {
      const index = next++;
      try {
        await fn(index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (failure !== undefined) throw failure.error;
}
