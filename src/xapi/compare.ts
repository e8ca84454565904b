import { isObject, type Json } from './rules.js';

/**
 * Equal statements, ignoring what the LRS sets (stored, authority, version), key order, and a timestamp's
 * notation (compared as instants). `ignoreId` for a signature, whose payload may lack the id the LRS assigned.
 */
export function sameStatement(before: Json, after: Json, ignoreId = false): boolean {
  const strip = ({ stored: _s, authority: _a, version: _v, timestamp, id, ...rest }: Json) => ({
    ...rest,
    ...(ignoreId || id === undefined ? {} : { id: String(id).toLowerCase() }),
    ...(timestamp === undefined || after.timestamp === undefined
      ? {}
      : { timestamp: new Date(timestamp as string).getTime() }),
  });
  return canonical(strip(before)) === canonical(strip(after));
}

function canonical(value: unknown, key = ''): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonical(item)).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k], k)}`).join(',')}}`;
  }
  // Durations compare to 0.01 s.
  if (key === 'duration' && typeof value === 'string') {
    return JSON.stringify(
      value.replace(/(\d+(?:\.\d+)?)S$/, (_, s: string) => `${Math.floor(Number(s) * 100) / 100}S`),
    );
  }
  return JSON.stringify(value);
}
