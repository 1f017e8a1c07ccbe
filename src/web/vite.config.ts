import react from '@vitejs/plugin-react';
import { defineConfig, loadEnv } from 'vite';

// This folder, whatever the caller's working directory (scripts/build-web.ts passes only configFile).
const root = decodeURIComponent(new URL('.', import.meta.url).pathname);

// The API serves dist/ at `/`; in development Vite proxies /api to a running service (VITE_API, default :3000).
export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, root, '');
  return {
    root,
    plugins: [react()],
    base: '/',
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      // The CSP allows only script-src 'self': no inline module-preload polyfill.
      modulePreload: { polyfill: false },
      assetsInlineLimit: 0,
      sourcemap: false,
    },
    server: {
      proxy: { '/api': { target: env.VITE_API ?? 'http://127.0.0.1:3000', changeOrigin: false } },
    },
  };
});
