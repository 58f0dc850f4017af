import { describe, expect, it } from '@jest/globals';
import { dataPlaneChoice } from './ovn.ts';

describe("the demo's data plane", () => {
  it('is what DATA_PLANE says', () => {
    expect(dataPlaneChoice('1', { dataPlane: false }, 1000).dataPlane).toBe(true);
    expect(dataPlaneChoice('0', { dataPlane: true }, 0).dataPlane).toBe(false);
    expect(dataPlaneChoice('true', undefined, 0).dataPlane).toBe(true);
  });

  it('is kept when it runs and DATA_PLANE is unset, even without root', () => {
    expect(dataPlaneChoice(undefined, { dataPlane: true }, 1000)).toEqual({
      dataPlane: true,
      why: 'it runs already',
    });
    expect(dataPlaneChoice('', { dataPlane: true }, 0).dataPlane).toBe(true);
  });

  it('is on by default for root, off otherwise, saying why', () => {
    expect(dataPlaneChoice(undefined, { dataPlane: false }, 0).dataPlane).toBe(true);
    expect(dataPlaneChoice(undefined, undefined, 1000)).toEqual({
      dataPlane: false,
      why: expect.stringMatching(/^not root: .*DATA_PLANE=1/) as unknown,
    });
  });

  it('refuses any other value', () => {
    expect(() => dataPlaneChoice('maybe', undefined, 0)).toThrow(/DATA_PLANE must be 1 or 0/);
  });
});
