/**
 * How a step kind reaches the services of its environment: {@link stepService} takes the part
 * it needs from `StepContext.services` (typed `StepServices`, step-kind.ts) and checks it is
 * there (a run target wired without it is a programming error, reported as such instead of a
 * TypeError deep inside a step). The services themselves are the environment's
 * (environment/environment-services.ts), built once by the core.
 */
import type {
  DbNodeService,
  DbPlanOp,
  DnsServices,
  HttpProbeService,
  NamedServices,
  SshExecService,
} from '../environment/environment-services.ts';
import { StepError } from './step-error.ts';
import type { StepContext, StepServices } from './step-kind.ts';

export type { DbNodeService, DbPlanOp, NamedServices };
/** DNS of the environment (see `DnsServices`). */
export type DnsStepService = DnsServices;
/** SSH exec of the environment (see `SshExecService`). */
export type SshStepService = SshExecService;
/** HTTP probes of the environment (see `HttpProbeService`). */
export type HttpStepService = HttpProbeService;
/** @deprecated the step services are typed: use `StepServices` (step-kind.ts). */
export type StepServiceBag = StepServices;

/** The parts a step can ask for. */
export type StepServiceName = keyof StepServices;

/**
 * The `name` part of the context's services.
 * @throws StepError `internal` (not retryable) when the run target was built without it.
 */
export function stepService<K extends StepServiceName>(
  ctx: Pick<StepContext, 'services'>,
  name: K,
): NonNullable<StepServices[K]> {
  const s = ctx.services[name];
  if (s === undefined || s === null) {
    throw new StepError('internal', `the run target has no "${name}" service`, {
      hint: "build the run target's services with createEnvironmentServices (electron/core/environment/create-environment-services.ts)",
      retryable: false,
    });
  }
  return s;
}
