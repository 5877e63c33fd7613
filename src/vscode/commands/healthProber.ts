// Where the editor's prints (print, scale, replace) probe `health.http` from: through the
// published ports when the engine is on this machine, else from the copies' network by a
// probe container of the keeper's image (the bundled keeper program, the keeper base setting).
import type { HealthProber } from '../../core/copies/health';
import { healthProberFor } from '../../core/keeper/probeContainer';
import type { DeployCommandDeps } from './command';

export type ProberDeps = Pick<DeployCommandDeps, 'engine' | 'settings' | 'keeperScript'>;

export function editorHealthProber({ engine, settings, keeperScript }: ProberDeps): HealthProber {
  return healthProberFor(engine.client, {
    scriptPath: keeperScript,
    baseImage: settings.keeperBaseImage,
  });
}
