// Browser-safe entry: zod schemas, types and pure helpers only. No Node-only imports here:
// the console's client bundle imports this module.
export * from './ride';
export * from './model-card';
export * from './zones';
