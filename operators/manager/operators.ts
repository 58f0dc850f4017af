/**
 * The product operators this manager can host. Each product adds itself here when it lands;
 * `--operators` picks a subset.
 */
export const operatorNames: readonly string[] = [];

export function selectOperators(flag: string | undefined): string[] {
  if (flag === undefined || flag === 'all') return [...operatorNames];
  const wanted = flag
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((w) => !operatorNames.includes(w));
  if (unknown.length > 0) {
    const known = operatorNames.length > 0 ? operatorNames.join(', ') : 'none yet';
    throw new Error(`--operators: unknown operator(s) ${unknown.join(', ')} (known: ${known})`);
  }
  return wanted;
}
