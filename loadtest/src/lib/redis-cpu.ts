// CPU per operation: Redis's own CPU (INFO cpu, main process: used_cpu_sys + used_cpu_user) read
// before and after a phase, and the helpers that turn CPU seconds and an operation count into
// microseconds per operation. On a Redis shared with other work the reading includes that work.
import type { Redis } from '@sluice/shared';

export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const num = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return num('used_cpu_sys') + num('used_cpu_user');
}

/** Microseconds of CPU per operation, rounded to 0.1; null without operations. */
export function usPerOp(cpuSeconds: number, ops: number): number | null {
  if (!(ops > 0) || !Number.isFinite(cpuSeconds)) return null;
  return Math.round((cpuSeconds / ops) * 1e7) / 10;
}
