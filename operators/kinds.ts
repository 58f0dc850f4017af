// Every kind the generator writes a CRD for: product kinds to crds/ (installed with kcloud),
// test-only kinds to test/crds/ (installed only by the integration tests).
import type { KindInfo } from '../controllers/api/index.ts';
import { ecsKinds } from './ecs/api/index.ts';
import { eipKinds } from './eip/api/index.ts';
import { Image } from './ecs/api/image.ts';
import { evsKinds } from './evs/api/index.ts';
import { Note } from './example/api/index.ts';
import { platformKinds } from './platform/api/index.ts';
import { slbKinds } from './slb/api/index.ts';
import { vpcKinds } from './vpc/api/index.ts';

export const productKinds: readonly KindInfo[] = [
  ...vpcKinds,
  ...eipKinds,
  ...slbKinds,
  ...evsKinds,
  Image,
  ...ecsKinds,
  ...platformKinds,
];

export const testKinds: readonly KindInfo[] = [Note];
