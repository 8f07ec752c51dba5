import { defaultClientConditions, defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` points the proxy at the server node it started; a bare `npx vite` expects one on :3000.
const apiUrl = process.env.TASKFLOW_API_URL ?? 'http://localhost:3000';

export default defineConfig({
  plugins: [react()],
  // Workspace packages are consumed from their TypeScript sources. Setting `conditions` replaces Vite's
  // defaults (module, browser, development|production) rather than adding to them: keep them.
  resolve: { conditions: ['taskflow-source', ...defaultClientConditions] },
  build: { outDir: 'dist', emptyOutDir: true },
  server: { proxy: { '/api': apiUrl, '/socket.io': { target: apiUrl, ws: true } } },
});
