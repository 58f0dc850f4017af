export { lowPriority, WorkQueue, type WorkQueueOptions } from './work-queue.ts';
export {
  BucketRateLimiter,
  defaultControllerRateLimiter,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  type RateLimiter,
} from './rate-limiters.ts';
export { createQueueMetricsFactory, type QueueMetrics } from './metrics.ts';
