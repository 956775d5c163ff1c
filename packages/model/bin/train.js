#!/usr/bin/env node
// The train CLI as a plain `node` entry (the training launcher spawns this): runs the TypeScript
// CLI through tsx, as the workspace packages are Just-in-Time TypeScript. Same flags as
// `npm run train -w @tripcast/model`.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/train.ts');
