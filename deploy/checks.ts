// Static checks of the deployment files (there is no Docker engine in CI): each function takes the
// parsed files and returns a list of problems, empty when the files agree with the code.
// The checks live in deploy/checks/, one file per concern.
export * from './checks/commands.ts';
export * from './checks/compose.ts';
export * from './checks/services.ts';
