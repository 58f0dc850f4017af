import { jest } from '@jest/globals';

// Unit tests wait on no real time (fake clocks), so this limit only catches a hang. In `make
// test` they share two cores with the integration tests, and Jest's default 5 s was once
// exceeded by a fake-clock test and by formatting a generated file while the machine was busy:
// a budget that a starved process still meets.
jest.setTimeout(30_000);
