#!/usr/bin/env node
// popbench command-line entry: loads the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
