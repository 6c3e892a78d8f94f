/**
 * The one contract between the core and every UI host (Electron IPC, HTTP + WebSocket).
 * Both hosts and the renderer's client are derived from these maps: add a method to a slice
 * and every side gets it; never write a channel string on one side only.
 *
 * One file per capability (`monitor.ts`, `runs.ts`, …) declares its methods, what they resolve
 * to and its events; this index merges them. A new capability is one file plus one entry in
 * each of the three merges below.
 *
 * - `consoleApi`: method name → zod schema of its single argument. Hosts validate every call
 *   with it at the boundary; the result is always a `Result<T>` (errors as data).
 * - `ConsoleApi`: the typed signatures.
 * - `consoleEvents`: pushed event name → zod schema of its payload (validated by the client).
 */
import { z } from 'zod';
import type { Result } from '../result.ts';
import type { ApiOf } from './api-of.ts';
import { monitorEvents, monitorMethods, type MonitorReturns } from './monitor.ts';
import { runsEvents, runsMethods, type RunsReturns } from './runs.ts';

export type { MonitorApi } from './monitor.ts';
export type { RunsApi, RunUnderWay } from './runs.ts';

/** Argument schemas, one per ConsoleApi method (strict: unknown keys are rejected). */
export const consoleApi = { ...monitorMethods, ...runsMethods } as const;

/** What each method resolves to. */
export interface ConsoleReturns extends MonitorReturns, RunsReturns {}

/** Pushed events: name → payload schema. Payloads are validated on receipt. */
export const consoleEvents = { ...monitorEvents, ...runsEvents } as const;

export type ConsoleMethod = keyof typeof consoleApi;
export type ConsoleArgs<M extends ConsoleMethod> = z.input<(typeof consoleApi)[M]>;
export type ConsoleParsedArgs<M extends ConsoleMethod> = z.output<(typeof consoleApi)[M]>;

/** The typed API every host exposes and every client calls. */
export type ConsoleApi = ApiOf<typeof consoleApi, ConsoleReturns>;

export type ConsoleEventName = keyof typeof consoleEvents;
export type ConsoleEventPayload<E extends ConsoleEventName> = z.infer<(typeof consoleEvents)[E]>;

/** Names of the methods, for hosts that bind them in a loop (IPC channels, WS dispatch). */
export const consoleMethodNames = Object.keys(consoleApi) as ConsoleMethod[];
export const consoleEventNames = Object.keys(consoleEvents) as ConsoleEventName[];

/** IPC channel for a method / event: derived, never hand-written. */
export const ipcChannel = (name: ConsoleMethod | ConsoleEventName): string => `standby:${name}`;

/** WebSocket wire messages (headless host). */
export const wsClientMessage = z
  .object({ id: z.number().int().nonnegative(), method: z.string(), args: z.unknown() })
  .strict();
export type WsClientMessage = z.infer<typeof wsClientMessage>;
export type WsServerMessage =
  | { type: 'result'; id: number; result: Result<unknown> }
  | { type: 'event'; name: ConsoleEventName; payload: unknown }
  | { type: 'error'; error: { kind: 'invalid-input'; message: string; hint?: string } };
