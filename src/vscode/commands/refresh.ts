// "Master Copy: Refresh Copies".
import type { Command, EngineCommandDeps } from './command';

export function refreshCommand({ model }: EngineCommandDeps): Command {
  return { id: 'mastercopy.refresh', run: () => model.refresh() };
}
