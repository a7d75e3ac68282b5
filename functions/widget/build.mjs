// Bundles the `acs` calling adapter with the pinned Calling SDK into dist/cartcall-calling-acs.js.
// Offline once `npm ci` has run: esbuild reads only node_modules. Run by the MSBuild target in widget.targets
// when the bundle is missing or older than its inputs, or by hand with `npm run build`.
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const outfile = here('./dist/cartcall-calling-acs.js');
await build({
  entryPoints: [here('./calling-acs/index.js')],
  outfile,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2020'],
  minify: true,
  legalComments: 'eof',
  logLevel: 'warning',
});
console.log(`bundled ${outfile} (${statSync(outfile).size} bytes)`);
