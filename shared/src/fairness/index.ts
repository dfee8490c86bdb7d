export * from './head.ts';
export * from './log.ts';
