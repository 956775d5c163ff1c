#!/usr/bin/env node
// The `scorer` bin: runs the TypeScript CLI through tsx (the workspace packages are Just-in-Time TypeScript).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
