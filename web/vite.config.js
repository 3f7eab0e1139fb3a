// Vite build for the KropBot crowd page: relative asset paths (base './') so the built
// page works from any URL path the gateway (or any static server) serves it under.
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
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
