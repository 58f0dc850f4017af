import { jest } from '@jest/globals';

// Integration tests wait on real processes (garbage collection, namespace deletion) whose
// pace depends on a shared machine; each wait has its own deadline and message, so this outer
// limit only catches a test that hangs outright.
jest.setTimeout(180_000);
