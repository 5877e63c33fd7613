// Engine objects are immutable and creating a volume whose name exists answers with the
// existing one, whoever made it: a nonce in the labels tells a writer whether it made it.
import { randomBytes } from 'node:crypto';
import type { EngineClient } from '../engine/EngineClient';
import { LABEL_NAME, LABEL_ROLE } from '../engine/labels';

const LABEL_NONCE = 'io.mastercopy.nonce';

/** Creates a volume and tells whether it is ours (not one that existed under that name). */
export async function createOwnVolume(
  engine: EngineClient,
  volume: string,
  labels: Record<string, string>,
): Promise<boolean> {
  const nonce = randomBytes(12).toString('hex');
  const name = labels[LABEL_NAME];
  await engine.createVolume({ name: volume, labels: { ...labels, [LABEL_NONCE]: nonce } });
  const found = (
    await engine.listVolumes({ [LABEL_NAME]: name, [LABEL_ROLE]: labels[LABEL_ROLE] })
  ).find((v) => v.name === volume);
  return found?.labels[LABEL_NONCE] === nonce;
}
