export * from './schema.ts';
export * from './services.ts';
export * from './production.ts';
