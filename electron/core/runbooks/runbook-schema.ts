// Moved to shared/runs/ (the run contract the renderer shares); re-exported for the core's imports.
export * from '../../../shared/runs/runbook-schema.ts';
