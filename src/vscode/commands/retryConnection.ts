// "Master Copy: Retry Engine Connection": connect afresh (after starting the engine, say).
import type { Command, EngineCommandDeps } from './command';

export function retryConnectionCommand({ engine, model }: EngineCommandDeps): Command {
  return {
    id: 'mastercopy.retryConnection',
    run() {
      engine.reset();
      return model.refresh();
    },
  };
}
