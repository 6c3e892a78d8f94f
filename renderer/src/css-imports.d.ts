/**
 * Plain CSS files imported for their side effect (`import './runs.css'`): Vite bundles them
 * into one stylesheet in import order. No CSS modules, so nothing is exported.
 */
declare module '*.css' {}
