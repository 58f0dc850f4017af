import { ReconcileError, type ExternalClient, type Observation } from './external-client.ts';
import { WaitingError } from './waiting.ts';

/**
 * Wraps a backend so that errors `explain` recognises (a lost connection, say) reach the
 * object as a ReconcileError with a reason a human can act on, instead of the generic
 * ReconcileError / DeleteFailed. Errors it does not recognise, and the backend's own
 * ReconcileErrors and WaitingErrors, pass through unchanged.
 */
export function explainErrors<T, O>(
  client: ExternalClient<T, O>,
  explain: (err: unknown) => ReconcileError | undefined,
): ExternalClient<T, O> {
  const wrap = async <R>(call: () => Promise<R>): Promise<R> => {
    try {
      return await call();
    } catch (err) {
      if (err instanceof ReconcileError || err instanceof WaitingError) throw err;
      throw explain(err) ?? err;
    }
  };
  return {
    observe: (obj: T, signal: AbortSignal): Promise<Observation<O>> =>
      wrap(() => client.observe(obj, signal)),
    create: (obj: T, signal: AbortSignal) => wrap(() => client.create(obj, signal)),
    update: (obj: T, observation: Observation<O>, signal: AbortSignal) =>
      wrap(() => client.update(obj, observation, signal)),
    delete: (obj: T, signal: AbortSignal) => wrap(() => client.delete(obj, signal)),
  };
}
