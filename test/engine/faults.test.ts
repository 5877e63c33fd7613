// Engine faults (issue 14): the engine stops in the middle of a build, of a print of 10
// copies and of a scale, and is started again by our script. Then the CLI shows the truth
// (ps lists what is there, with its state), nothing of ours exists without our labels, and
// running the command again converges to what was asked. (A promote interrupted before its
// switch, and a log follow across a restart, are in deploy.test.ts and logs.test.ts.)
import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { buildMasterCopy } from '../../src/core/build/build';
import { printCopies, type PrintResult } from '../../src/core/copies/print';
import { scaleCopies, type ScaleResult } from '../../src/core/copies/scale';
import { LABEL_COPY, LABEL_MANAGED, LABEL_NAME } from '../../src/core/engine/labels';
import { runCli } from '../support/cli';
import {
  TEST_ENGINE_HOST,
  rawDocker,
  startEngine,
  stopEngine,
  testRunId,
  testRunLabels,
  waitFor,
} from '../support/engine';
import { herdVariant, useHerdEngine } from '../support/herd';

const BASE = `mc-fault-${testRunId}`;
const folders: string[] = [];

describe('engine faults: stopped mid-command, started again (real engine)', function () {
  this.timeout(240_000);
  const env = useHerdEngine(folders);
  const cli = (args: string[]) =>
    runCli(args, { env: { ...process.env, DOCKER_HOST: TEST_ENGINE_HOST } });
  const options = {
    env: {},
    readFile: (p: string) => readFile(p, 'utf8'),
    extraLabels: testRunLabels,
  };
  /** Every container whose name says it is one of `name`'s copies carries our labels. */
  async function allLabelled(name: string): Promise<void> {
    const all = await rawDocker().listContainers({ all: true });
    const ours = all.filter((c) => c.Names.some((n) => n.startsWith(`/${name}_`)));
    for (const c of ours) {
      assert.equal(c.Labels[LABEL_MANAGED], 'true', `${c.Names[0]} carries our managed label`);
      assert.equal(c.Labels[LABEL_NAME], name);
      assert.ok(LABEL_COPY in c.Labels, `${c.Names[0]} says which copy it is`);
    }
  }
  const running = async (name: string) =>
    (
      await rawDocker().listContainers({
        filters: { label: [`${LABEL_NAME}=${name}`, LABEL_COPY] },
      })
    ).length;
  afterEach(async () => {
    // Whatever a test did, the next one starts with an engine that answers.
    await startEngine();
  });

  it('a build: the engine stops at its slow step; after a restart the same build goes through', async () => {
    const name = `${BASE}-build`;
    const v = herdVariant(name, 1, folders, (t) =>
      t
        .replace(/^gateway: .*$/m, '')
        // A step of its own (no layer cache from an earlier run), slow enough for the engine to go during it.
        .replace(
          /^from: busybox:stable$/m,
          `from: busybox:stable\nbuild:\n  steps: ["echo ${testRunId}; sleep 10"]`,
        ),
    );
    env.names.push(name);
    let stopping: Promise<void> | undefined;
    const failure = await buildMasterCopy(env.engine, v.mc, v.folder, {
      extraLabels: testRunLabels,
      onProgress: (e) => {
        if (e.kind === 'step' && /sleep 10/.test(e.instruction)) stopping ??= stopEngine();
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    await stopping;
    assert.ok(failure instanceof Error, 'the build failed with the engine');
    await startEngine();
    assert.equal(
      await rawDocker()
        .getImage(`${name}:1.0.0`)
        .inspect()
        .then(
          () => true,
          () => false,
        ),
      false,
      'no half-built image carries the version',
    );
    const again = await cli(['build', '-q', `${v.folder}/transaction-service.mastercopy.yaml`]);
    assert.equal(again.code, 0, again.stderr);
    const image = await rawDocker().getImage(`${name}:1.0.0`).inspect();
    assert.equal(image.Config.Labels[LABEL_MANAGED], 'true');
  });

  it('a print of 10: the engine stops as the copies start; ps tells the truth and scale converges to 10', async () => {
    const name = `${BASE}-print`;
    const v = herdVariant(name, 1, folders, (t) => t.replace(/^gateway: .*$/m, ''));
    env.names.push(name);
    let stopping: Promise<void> | undefined;
    const failure = await printCopies(env.engine, v.mc, v.folder, {
      ...options,
      copies: 10,
      onProgress: (e) => {
        if (e.kind === 'starting') stopping ??= stopEngine();
      },
    }).then(
      (r): PrintResult | Error => r,
      (e: unknown) => e as Error,
    );
    await stopping;
    // Either the print failed, or (its copies all created before the engine went) their health wait did.
    assert.ok(
      failure instanceof Error || failure.unhealthy.length > 0,
      'the print did not succeed with the engine gone',
    );
    await startEngine();
    await allLabelled(name);
    // What is there, whatever it is: ps lists exactly the containers the engine has.
    const listed = await cli(['ps', '--json', '--no-probe', name]);
    assert.equal(listed.code, 0, listed.stderr);
    const copies = JSON.parse(listed.stdout) as { id: string; state: string }[];
    const onEngine = await rawDocker().listContainers({
      all: true,
      filters: { label: [`${LABEL_NAME}=${name}`, LABEL_COPY] },
    });
    assert.deepEqual(copies.map((c) => c.id).sort(), onEngine.map((c) => c.Id).sort());
    for (const c of copies) {
      const engineSays = onEngine.find((o) => o.Id === c.id)!.State;
      assert.equal(c.state, engineSays, `ps says what the engine says of ${c.id.slice(0, 12)}`);
    }

    const scaled = await scaleCopies(env.engine, v.mc, v.folder, 10, options);
    assert.equal(scaled.after, 10);
    await waitFor('10 copies running', async () => (await running(name)) === 10, 60_000, 200);
    await allLabelled(name);
  });

  it('a scale from 2 to 6: the engine stops mid-way; scaling again converges to 6, and to 2', async () => {
    const name = `${BASE}-scale`;
    // Copies that take 10 s to answer: the engine (stopped as the first new one starts, which
    // takes a few seconds) goes while the new ones are not healthy yet.
    const v = herdVariant(name, 1, folders, (t) =>
      t
        .replace(/^gateway: .*$/m, '')
        .replace(
          /^command: .*$/m,
          'command: ["/bin/sh", "-c", "sleep 10; exec /bin/httpd -f -v -p 8080 -h /srv/www"]',
        )
        .replace(/retries: 2/, 'retries: 20'),
    );
    env.names.push(name);
    await printCopies(env.engine, v.mc, v.folder, { ...options, copies: 2 });
    let stopping: Promise<void> | undefined;
    const failure = await scaleCopies(env.engine, v.mc, v.folder, 6, {
      ...options,
      onProgress: (e) => {
        if (e.kind === 'started') stopping ??= stopEngine();
      },
    }).then(
      (r): ScaleResult | Error => r,
      (e: unknown) => e as Error,
    );
    await stopping;
    assert.ok(
      failure instanceof Error || (failure.printed?.unhealthy.length ?? 0) > 0,
      'the scale did not succeed with the engine gone',
    );
    await startEngine();
    await allLabelled(name);
    assert.equal((await scaleCopies(env.engine, v.mc, v.folder, 6, options)).after, 6);
    await waitFor('6 copies running', async () => (await running(name)) === 6, 60_000, 200);
    assert.equal((await scaleCopies(env.engine, v.mc, v.folder, 2, options)).after, 2);
    const left = await rawDocker().listContainers({
      all: true,
      filters: { label: [`${LABEL_NAME}=${name}`, LABEL_COPY] },
    });
    assert.equal(left.length, 2, 'nothing left beyond the 2 asked for');
  });
});
