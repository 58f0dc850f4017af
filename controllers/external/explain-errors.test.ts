import { describe, expect, it } from '@jest/globals';
import { explainErrors } from './explain-errors.ts';
import { ReconcileError, type ExternalClient } from './external-client.ts';
import { WaitingError } from './waiting.ts';

class Offline extends Error {}

const failing = (err: Error): ExternalClient<object, never> => ({
  observe: () => Promise.reject(err),
  create: () => Promise.reject(err),
  update: () => Promise.reject(err),
  delete: () => Promise.reject(err),
});

const explain = (err: unknown) =>
  err instanceof Offline
    ? new ReconcileError('BackendUnreachable', `the backend is unreachable: ${err.message}`, {
        cause: err,
      })
    : undefined;

describe('explainErrors', () => {
  const signal = new AbortController().signal;

  it('turns a recognised error into a ReconcileError with its reason, in every method', async () => {
    const client = explainErrors(failing(new Offline('socket closed')), explain);
    for (const call of [
      () => client.observe({}, signal),
      () => client.create({}, signal),
      () => client.update({}, { exists: true, upToDate: false }, signal),
      () => client.delete({}, signal),
    ]) {
      await expect(call()).rejects.toMatchObject({
        reason: 'BackendUnreachable',
        message: 'the backend is unreachable: socket closed',
        retry: true,
      });
    }
  });

  it('passes other errors, and ReconcileErrors of the backend, through unchanged', async () => {
    const other = new Error('disk on fire');
    await expect(explainErrors(failing(other), explain).delete({}, signal)).rejects.toBe(other);
    const own = new ReconcileError('InUse', 'still used');
    await expect(explainErrors(failing(own), explain).create({}, signal)).rejects.toBe(own);
  });

  it('passes a wait through, even to an explain that would take any error', async () => {
    const wait = new WaitingError('VPCNotFound', 'VPC prod does not exist in namespace ns');
    const everything = () => new ReconcileError('BackendUnreachable', 'unreachable');
    await expect(explainErrors(failing(wait), everything).create({}, signal)).rejects.toBe(wait);
  });
});
