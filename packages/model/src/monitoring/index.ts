// Model monitoring, browser-safe: reference/population profiles on fixed bins and drift measures.
export * from './profile';
export * from './drift';
export * from './status';
