// Production build of the frontend, in the layout @backstage/plugin-app-backend serves:
//   dist/static/            the bundle and its assets
//   dist/index.html.tmpl    rendered by app-backend at start (config injected, nothing written)
//   dist/.config-schema.json  the frontend-visible config schema of the app and its dependencies
// esbuild replaces @backstage/cli here: the cli's dependency tree cannot be resolved from the
// registries this project builds from (platform binaries missing), and the app is small.
import { build } from 'esbuild';
import { loadConfigSchema } from '@backstage/config-loader';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');
const started = Date.now();
await rm(dist, { recursive: true, force: true });
await mkdir(path.join(dist, 'static'), { recursive: true });

const result = await build({
  absWorkingDir: here,
  entryPoints: { index: 'src/index.tsx' },
  bundle: true,
  outdir: path.join(dist, 'static'),
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  publicPath: '/static',
  format: 'esm',
  splitting: true,
  minify: true,
  target: 'es2022',
  jsx: 'automatic',
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
  loader: { '.svg': 'file', '.png': 'file', '.jpg': 'file', '.gif': 'file', '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file' },
  define: {
    'process.env.NODE_ENV': JSON.stringify(process.env.APP_BUILD_MODE ?? 'production'),
    // Build-time config: none. The backend injects the runtime config into index.html.
    'process.env.APP_CONFIG': '[]',
    global: 'globalThis',
  },
});

const entry = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint === 'src/index.tsx');
if (!entry) throw new Error('esbuild produced no entry bundle');
const entryFile = path.basename(entry[0]);
await writeFile(
  path.join(dist, 'index.html.tmpl'),
  `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title><%= config.getOptionalString('app.title') ?? 'Backstage' %></title>
    <script type="module" src="<%= publicPath %>/static/${entryFile}"></script>
  </head>
  <body>
    <noscript>This Backstage app needs JavaScript.</noscript>
    <div id="root"></div>
  </body>
</html>
`,
);

const schema = await loadConfigSchema({ dependencies: ['app'], packagePaths: [path.join(here, 'package.json')] });
await writeFile(path.join(dist, '.config-schema.json'), JSON.stringify(schema.serialize(), null, 2));
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`app: built ${entryFile} and ${Object.keys(result.metafile.outputs).length - 1} more files (${(bytes / 1024 / 1024).toFixed(1)} MiB) in ${((Date.now() - started) / 1000).toFixed(1)}s`);
