/**
 * The connection closed while a request was in flight. A transaction may or may not have
 * committed: the caller must read the database (or its replica) before deciding to retry.
 */
export class ConnectionLostError extends Error {
  override readonly name = 'ConnectionLostError';
}

/** The client has no connection; the request was never sent, so retrying it is safe. */
export class NotConnectedError extends Error {
  override readonly name = 'NotConnectedError';
}

/** The server answered a JSON-RPC request with an error (e.g. an unknown database or table). */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  readonly method: string;
  readonly error: unknown;

  constructor(method: string, error: unknown) {
    super(`${method} failed: ${describeRpcError(error)}`);
    this.method = method;
    this.error = error;
  }
}

/**
 * One operation of a transaction failed, so the server rolled the whole transaction back.
 * `index` is the failing operation's position, or the number of operations when the commit
 * itself failed (a constraint or referential integrity violation found at commit time).
 */
export class TransactionError extends Error {
  override readonly name = 'TransactionError';
  readonly index: number;
  readonly error: string;
  readonly details: string | undefined;
  readonly results: readonly unknown[];

  constructor(
    index: number,
    what: string,
    error: string,
    details: string | undefined,
    results: readonly unknown[],
  ) {
    super(`transaction failed at ${what}: ${error}${details === undefined ? '' : `: ${details}`}`);
    this.index = index;
    this.error = error;
    this.details = details;
    this.results = results;
  }
}

function describeRpcError(error: unknown): string {
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object') {
    const e = error as { error?: unknown; details?: unknown };
    if (typeof e.error === 'string') {
      return typeof e.details === 'string' ? `${e.error}: ${e.details}` : e.error;
    }
  }
  return JSON.stringify(error);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
