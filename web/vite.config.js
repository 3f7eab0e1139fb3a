// Vite build for the KropBot crowd page: relative asset paths (base './') so the built
// page works from any URL path the gateway (or any static server) serves it under; every text
// file is also written precompressed (.gz, .br) for the gateway to serve (plugins/precompress.js).
import { defineConfig } from 'vite';
import { precompress } from './plugins/precompress.js';

export default defineConfig({
  base: './',
  plugins: [precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
  },
  test: {
    environment: 'node',
    include: ['test/**/*.test.js'],
  },
});
