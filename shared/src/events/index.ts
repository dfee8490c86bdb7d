export * from './autopilot.ts';
export * from './db.ts';
export * from './demo.ts';
export * from './model.ts';
export * from './shuffle.ts';
export * from './state.ts';
export * from './store.ts';
export * from './pow-level.ts';
