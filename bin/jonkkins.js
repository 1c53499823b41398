#!/usr/bin/env node
// Plain JavaScript on purpose: an older Node must be able to read this file to say what it needs.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major !== 24 || minor < 12 || !process.features.typescript) {
  console.error(
    `jonkkins: needs Node.js 24 (>= 24.12); this is ${process.version}. ` +
      'Run it through npm (npm start, npm test, npx jonkkins), which uses the Node 24 that npm install put in node_modules, or install Node 24.',
  );
  process.exit(1);
}
await import('./cli.ts');
