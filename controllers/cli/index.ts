export { runCommand, writeOut } from './run.ts';
