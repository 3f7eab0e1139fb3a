/**
 * Vite build plugin: precompress the built text assets with gzip and brotli (Node's zlib).
 *
 * After the bundle is written, every file in the output directory with one of `extensions` and
 * at least `minBytes` gets `<file>.gz` (gzip level 9) and `<file>.br` (brotli quality 11,
 * text mode) next to it, each kept only if smaller than the original. The gateway serves them
 * when the browser's Accept-Encoding allows (kropbot_gateway/http.py): the work is done once,
 * at build time, instead of per request on the robot. No dependency beyond Node itself.
 */
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** File types worth compressing (text); images and fonts are compressed already. */
export const EXTENSIONS = Object.freeze(['.js', '.mjs', '.css', '.html', '.svg', '.json', '.txt']);

/** Files smaller than this stay uncompressed (a compressed answer would save next to nothing). */
export const MIN_BYTES = 512;

/**
 * The compressed encodings of `data`: `{gz, br}` (each null if not smaller than `data`).
 *
 * @param {Buffer} data - file contents
 * @returns {{gz: Buffer|null, br: Buffer|null}}
 */
export function compress(data) {
  const gz = gzipSync(data, { level: 9 });
  const br = brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
  return { gz: gz.length < data.length ? gz : null, br: br.length < data.length ? br : null };
}

async function* files(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else if (entry.isFile()) yield full;
  }
}

/**
 * Write `.gz`/`.br` siblings for the compressible files under `dir` (stale ones are removed).
 *
 * @param {string} dir - the build output directory
 * @param {{extensions?: readonly string[], minBytes?: number}} [opts]
 * @returns {Promise<Array<{file: string, bytes: number, gz: number|null, br: number|null}>>}
 *   one entry per file considered, sizes in bytes (relative file names)
 */
export async function precompressDir(dir, { extensions = EXTENSIONS, minBytes = MIN_BYTES } = {}) {
  const report = [];
  for await (const file of files(dir)) {
    if (!extensions.includes(path.extname(file))) continue;
    if ((await stat(file)).size < minBytes) continue;
    const out = compress(await readFile(file));
    for (const [suffix, data] of [['.gz', out.gz], ['.br', out.br]]) {
      if (data) await writeFile(file + suffix, data);
      else await rm(file + suffix, { force: true });
    }
    report.push({
      file: path.relative(dir, file),
      bytes: (await stat(file)).size,
      gz: out.gz?.length ?? null,
      br: out.br?.length ?? null,
    });
  }
  return report;
}

/**
 * The Vite plugin (build only): precompress the output directory when the bundle is closed.
 *
 * @param {{extensions?: readonly string[], minBytes?: number, log?: boolean}} [opts]
 * @returns {import('vite').Plugin}
 */
export function precompress(opts = {}) {
  let outDir = 'dist';
  return {
    name: 'kropbot-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    async closeBundle() {
      const report = await precompressDir(outDir, opts);
      if (opts.log === false) return;
      const kb = (n) => (n === null ? '-' : `${(n / 1024).toFixed(1)} kB`);
      for (const r of report) {
        console.log(`precompressed ${r.file}: ${kb(r.bytes)} → gzip ${kb(r.gz)}, brotli ${kb(r.br)}`);
      }
    },
  };
}
