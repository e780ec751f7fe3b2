// `node --experimental-transform-types --import ./test/support/run-typescript.mjs src/….ts`:
// runs a TypeScript entry point of this project without a build (see typescript-hooks.mjs).
import { register } from 'node:module';

register('./typescript-hooks.mjs', import.meta.url);
