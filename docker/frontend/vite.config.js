import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The compose `frontend-builder` service runs `npm run build -- --outDir /build` as uid 10003,
// which cannot write inside /app. So the build writes nothing there but its outDir:
//   - package.json's build script loads this file with `--configLoader native` (Node imports
//     it as is; the default loader writes a bundled copy to node_modules/.vite-temp first);
//   - any cache Vite or a plugin keeps goes to /tmp (`vite build` itself writes none today).
export default defineConfig({
  plugins: [react()],
  cacheDir: '/tmp/vite',
  build: {
    outDir: 'dist',
    // /build is a volume that only holds the bundle: clear old hashed files there too.
    emptyOutDir: true,
    // nginx serves /assets/* with a year-long immutable cache, so every file there is hashed.
    assetsDir: 'assets',
    // No data: URIs for scripts or styles: every asset is a file under 'self' (the CSP).
    assetsInlineLimit: 0,
  },
});
