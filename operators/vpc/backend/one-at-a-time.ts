/**
 * Runs steps one after another per key (a database connection): each step starts once the one
 * before has finished, failed or not, and so finds what it wrote. For writes that first decide
 * from what the database holds (a free address to take) and that several workers may make at
 * once.
 */
export function oneAtATime(): (key: object, step: () => Promise<void>) => Promise<void> {
  const last = new WeakMap<object, Promise<void>>();
  return (key, step) => {
    const previous = last.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(step);
    last.set(key, next);
    return next;
  };
}
