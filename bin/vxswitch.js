#!/usr/bin/env node
// The installed command: the CLI is TypeScript compiled into dist/ (npx tsc -p .).
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv);
