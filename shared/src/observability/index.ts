export * from './health.ts';
export * from './ignored.ts';
export * from './log.ts';
export * from './metrics.ts';
