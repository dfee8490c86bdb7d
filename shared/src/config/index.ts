export * from './schema.ts';
export * from './services.ts';
