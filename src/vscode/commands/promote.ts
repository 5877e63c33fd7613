// "Master Copy: Promote": blue/green to the version in the file — build if needed, print
// green beside blue, health gate, switch the endpoint, drain, dispose blue. No prompt: a
// failure before the switch leaves blue serving, so this is the safe way to deploy.
import type { Command, DeployCommandDeps } from './command';
import { promoteOnSwarm } from './swarmTarget';
import { resolveMasterCopy } from './target';
import { runPromote } from '../deploy/runPromote';

export function promoteCommand(deps: DeployCommandDeps): Command {
  return {
    id: 'mastercopy.promote',
    /** (tree node | file): without one, the active master copy or a picked one. */
    async run(arg?: unknown) {
      const target = await resolveMasterCopy(arg, deps.files, 'promoted');
      if (!target) return undefined;
      const { masterCopy: mc, folder, uri } = target;
      if (deps.settings.target === 'swarm')
        return promoteOnSwarm(deps, mc, folder, deps.settings.swarmPublishMode);
      return runPromote(
        deps,
        { kind: 'file', mc, folder },
        { uri, title: `Promoting ${mc.name} to ${mc.version}` },
      );
    },
  };
}
