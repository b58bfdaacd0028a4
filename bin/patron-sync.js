#!/usr/bin/env node
// The CLI entry for `npx patron-sync`: runs the committed bundle, so no build step is needed.
import "../dist/cli/index.js";
