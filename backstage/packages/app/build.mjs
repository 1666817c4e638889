// Production build of the frontend, in the layout @backstage/plugin-app-backend serves:
//   dist/static/            the bundle and its assets
//   dist/index.html.tmpl    rendered by app-backend at start (config injected, nothing written)
//   dist/.config-schema.json  the frontend-visible config schema of the app and its dependencies
// esbuild replaces @backstage/cli here (backstage/README.md says why). What the cli's bundler
// handles, this build handles too:
//   - CSS imported from JS (plugins import their styles, e.g. swagger-ui's): bundled with its own
//     url() assets and injected as a <style> when its chunk loads (lazy chunks included)
//   - images, fonts, svg: files under static/ with hashed names
//   - Node built-ins some browser libraries import: the browser polyfills the cli provides
//     (buffer, events, process, stream, util, path), an empty module for the rest (fs, zlib, ...);
//     `process` and `Buffer` as globals
//   - the config schema: every dependency's package.json `configSchema`, for frontend visibility
//   - import() of CommonJS modules with named exports, as webpack gives them (see dynamicCjs)
//   - the build-time constants plugins read: process.env.NODE_ENV, APP_CONFIG, HAS_REACT_DOM_CLIENT
import { build } from 'esbuild';
import { loadConfigSchema } from '@backstage/config-loader';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');
const started = Date.now();
await rm(dist, { recursive: true, force: true });
await mkdir(path.join(dist, 'static'), { recursive: true });

const ASSET_LOADERS = { '.svg': 'file', '.png': 'file', '.jpg': 'file', '.jpeg': 'file', '.gif': 'file', '.webp': 'file', '.ico': 'file', '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file' };
const POLYFILLS = { buffer: 'buffer/', events: 'events/', process: 'process/browser.js', stream: 'stream-browserify', util: 'util/', path: 'path-browserify' };
const require = createRequire(import.meta.url);

/** Node built-ins: the browser polyfill, or an empty module (what the cli's webpack fallbacks do). */
const nodeBuiltins = {
  name: 'node-builtins',
  setup(b) {
    const names = builtinModules.filter((m) => !m.startsWith('_'));
    const filter = new RegExp(`^(node:)?(${names.map((n) => n.replace(/[/]/g, '\\/')).join('|')})$`);
    b.onResolve({ filter }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (POLYFILLS[name]) return { path: require.resolve(POLYFILLS[name]) };
      return { path: name, namespace: 'empty-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'empty-builtin' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

/**
 * `import()` of a CommonJS module gives only `default` in esbuild's ESM output; webpack (the cli)
 * also exposes the module's properties as named exports, and plugins rely on it (TechDocs:
 * `(await import('react-dom/client')).createRoot`). For the CommonJS modules plugins load that
 * way, a dynamic import gets an ESM wrapper with the module's properties as named exports.
 */
const DYNAMIC_CJS = ['react-dom/client', 'react-dom'];
const dynamicCjs = {
  name: 'dynamic-cjs',
  setup(b) {
    const filter = new RegExp(`^(${DYNAMIC_CJS.map((m) => m.replace(/[/]/g, '\\/')).join('|')})$`);
    b.onResolve({ filter }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, namespace: 'dynamic-cjs' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'dynamic-cjs' }, (args) => {
      const keys = Object.keys(require(require.resolve(args.path, { paths: [here] }))).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default');
      return {
        contents: `import m from ${JSON.stringify(args.path)};\nexport default m;\n${keys.map((k) => `export const ${k} = m.${k};`).join('\n')}\n`,
        loader: 'js',
        resolveDir: here,
      };
    });
  },
};

/** CSS imported from JS: bundled (its url() assets as files) and injected as a <style> on load. */
const cssInject = {
  name: 'css-inject',
  setup(b) {
    b.onLoad({ filter: /\.css$/ }, async (args) => {
      const out = await build({
        entryPoints: [args.path],
        bundle: true,
        write: true,
        outdir: path.join(dist, 'static'),
        assetNames: '[name]-[hash]',
        entryNames: 'css-[hash]',
        publicPath: '/static',
        minify: true,
        loader: ASSET_LOADERS,
        metafile: true,
        logLevel: 'warning',
      });
      const cssFile = Object.keys(out.metafile.outputs).find((f) => f.endsWith('.css'));
      const css = cssFile ? await readFile(path.resolve(here, cssFile), 'utf8') : '';
      if (cssFile) await rm(path.resolve(here, cssFile));
      return {
        contents: `const s = document.createElement('style'); s.setAttribute('data-from', ${JSON.stringify(path.relative(here, args.path))}); s.textContent = ${JSON.stringify(css)}; document.head.appendChild(s);`,
        loader: 'js',
      };
    });
  },
};

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
  loader: ASSET_LOADERS,
  plugins: [nodeBuiltins, dynamicCjs, cssInject],
  inject: [path.join(here, 'build-shims.js')],
  define: {
    'process.env.NODE_ENV': JSON.stringify(process.env.APP_BUILD_MODE ?? 'production'),
    // Build-time config: none. The backend injects the runtime config into index.html.
    'process.env.APP_CONFIG': '[]',
    // React 18: react-dom/client exists (the cli defines the same; TechDocs renders with it).
    'process.env.HAS_REACT_DOM_CLIENT': 'true',
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
