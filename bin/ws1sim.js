#!/usr/bin/env node
'use strict'
// The command line is written in TypeScript and compiled to dist/ by `npm run build`,
// which `npm ci` runs through the `prepare` script.
require('../dist/cli/main.js')
