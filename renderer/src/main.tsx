/** Renderer entry: pick the transport, start syncing stores, render. */
// Must stay the first import: it configures zod before the contract builds its schemas.
import './zod-jitless.ts';
// Base styles before any feature's (features import their own CSS): the bundle keeps import
// order, and a feature's rules may override these at equal specificity.
import './ui/theme.css';
import './ui/ui.css';
import './app/app.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createConsoleClient } from './api/console-client.ts';
import { startSync } from './app/sync-stores.ts';
import { App } from './app/app.tsx';
import { startClock } from './ui/clock-store.ts';

const client = createConsoleClient();
const stopSync = startSync(client);
const stopClock = startClock();

window.addEventListener('pagehide', () => {
  stopSync();
  stopClock();
  client.close();
});
// Restored from the back/forward cache with a closed client: start over.
window.addEventListener('pageshow', (e) => {
  if (e.persisted) window.location.reload();
});

const root = document.getElementById('root');
if (!root) throw new Error('index.html lacks #root');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
