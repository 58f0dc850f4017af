// From how EVS says a volume is opened on this host (a VolumeAttachment's status.target: a file
// of a file pool, or an RBD image with the ceph.conf that names its monitors and keyring) to a
// disk source. Structural, so ECS reads EVS's published status and none of its code.
import { VmError } from './errors.ts';
import type { DiskSource } from './vm-definition.ts';

export interface AttachTargetLike {
  file?: { path: string; format: string };
  rbd?: { pool: string; image: string; user: string; conf: string };
}

export function diskSourceFromTarget(target: AttachTargetLike): DiskSource {
  if (target.file && !target.rbd) {
    const format = target.file.format;
    if (format !== 'qcow2' && format !== 'raw') {
      throw new VmError(
        'InvalidDefinition',
        `volume format ${JSON.stringify(format)} is not qcow2 or raw`,
      );
    }
    return { kind: 'file', path: target.file.path, format };
  }
  if (target.rbd && !target.file) {
    const { pool, image, user, conf } = target.rbd;
    return { kind: 'rbd', pool, image, user, conf, monitors: [] };
  }
  throw new VmError(
    'InvalidDefinition',
    'a volume target must name exactly one of a file or an RBD image',
  );
}
