export * from './model.ts';
export * from './credentials.ts';
export * from './shares.ts';
export * from './codes-store.ts';
