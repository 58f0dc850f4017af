export { realClock, type Clock, type Timer } from './clock.ts';
export { FakeClock, flushPromises } from './fake-clock.ts';
export { jittered, jitterUntil, spreadOffset, type JitterUntilOptions } from './jitter.ts';
