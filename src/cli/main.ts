#!/usr/bin/env node
// Placeholder entry point; the real CLI (start, check, route, send, carrier-sim) is wired in later commits.
console.error('smpp-proxy: not implemented yet');
process.exit(1);
