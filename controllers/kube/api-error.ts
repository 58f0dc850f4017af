import type { Status } from './object.ts';

/** A failed API call, carrying the API server's own Status. */
export class ApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly body: Status | undefined;

  constructor(status: number, body: Status | undefined, context: string) {
    super(
      `${context}: ${String(status)} ${body?.reason ?? ''}: ${body?.message ?? '(no message)'}`,
    );
    this.name = 'ApiError';
    this.status = status;
    this.reason = body?.reason ?? '';
    this.body = body;
  }
}

export function isApiError(err: unknown, status?: number): err is ApiError {
  return err instanceof ApiError && (status === undefined || err.status === status);
}

export const isNotFound = (err: unknown): boolean => isApiError(err, 404);
/** 409: a stale resourceVersion (Conflict) or a name already taken (AlreadyExists). */
export const isConflict = (err: unknown): boolean =>
  isApiError(err, 409) && err.reason === 'Conflict';
export const isAlreadyExists = (err: unknown): boolean =>
  isApiError(err, 409) && err.reason === 'AlreadyExists';
/** 410: the resourceVersion asked for is older than the server keeps. */
export const isGone = (err: unknown): boolean => isApiError(err, 410);

/**
 * One line for a log: the API server's own message for an ApiError (its Status), else the
 * error's text.
 */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError && err.body?.message) return err.body.message;
  return err instanceof Error ? err.message : String(err);
}
