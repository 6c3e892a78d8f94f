/**
 * Temporary renderer-only build used by the renderer's author while the lead owns
 * electron.vite.config.ts (same root and relative base). Usage:
 *   node_modules/.bin/vite build renderer --config renderer/vite.config.ts --outDir /tmp/renderer-out
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  // Relative asset URLs: the same build loads from file:// (Electron) and from the headless host.
  base: './',
  plugins: [react()],
  build: { emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1200 },
});
