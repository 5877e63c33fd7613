// "Master Copy: Refresh Copies" (drift is checked again too).
import type { Command, EngineCommandDeps } from './command';

export function refreshCommand({ model }: EngineCommandDeps): Command {
  return { id: 'mastercopy.refresh', run: () => model.checkDriftNow() };
}
