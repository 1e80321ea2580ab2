import { defineConfig } from 'vite';
import { resolve } from 'node:path';

// `npm run build`: the browser ESM build of the library (dist/winoconv.js), which the demo pages import.
// `npm run demo`: the Vite dev server on demo/ (served from 127.0.0.1, which WebGPU needs).
export default defineConfig({
  server: { host: '127.0.0.1', fs: { allow: [resolve(__dirname)] } },
  build: {
    outDir: resolve(__dirname, 'dist'),
    emptyOutDir: true,
    sourcemap: true,
    lib: {
      entry: resolve(__dirname, 'src/index.ts'),
      formats: ['es'],
      fileName: () => 'winoconv.js',
    },
  },
});
