/** Vite build of the operations centre: output in ../dist-web; the dev server proxies the API to Urbis on :1026. */
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const urbis = 'http://localhost:1026';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: '../dist-web', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  server: {
    proxy: { '/ngsi-ld': urbis, '/city': urbis, '/live': urbis, '/auth': urbis },
  },
});
