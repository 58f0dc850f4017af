// The NoCloud seed of an instance: the disk (FAT, label CIDATA) that hands cloud-init, or the
// demo guest, its instance id, hostname, SSH keys, password and user-data.
export { SeedError } from './seed-error.ts';
export { limits as seedLimits, seedFiles, type SeedFiles, type SeedSpec } from './seed-files.ts';
export { writeSeed, type WrittenSeed } from './write-seed.ts';
