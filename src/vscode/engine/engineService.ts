// The engine connection, resolved the way the Docker CLI resolves it and made
// lazily: nothing is loaded or connected until a feature needs the engine.
import * as vscode from 'vscode';
import { Disposable } from '../../core/util/lifecycle';
import type { EngineClient } from '../../core/engine/EngineClient';
import { createEngineClient } from '../../core/engine/DockerodeEngineClient';
import {
  nodeHostResolutionDeps,
  resolveEngineHost,
  type HostChoice,
  type HostResolutionDeps,
  type ResolvedEngineHost,
} from '../../core/engine/hostResolution';
import type { Log } from '../log';
import type { Settings } from '../settings';

/** How the editor's messages name the explicit host: the setting (the CLI says --host). */
export const EDITOR_HOST_CHOICE: HostChoice = {
  name: 'The setting `mastercopy.dockerHost`',
  hint: 'set `mastercopy.dockerHost` (or DOCKER_HOST)',
};

function editorHostResolutionDeps(): HostResolutionDeps {
  return { ...nodeHostResolutionDeps(), choice: EDITOR_HOST_CHOICE };
}

export class EngineService extends Disposable {
  private current?: { endpoint: ResolvedEngineHost; client: EngineClient };
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  /** Fires when the engine to talk to changes (the setting was edited). */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly log: Log,
    private readonly settings: Settings,
  ) {
    super();
    this._register(
      settings.onDidChange(() => {
        const before = this.current?.endpoint.host;
        this.current = undefined;
        if (before !== this.describe()) this.changed.fire();
      }),
    );
  }

  /** The client; throws EngineHostError when the configured host is malformed. */
  get client(): EngineClient {
    if (!this.current) {
      const endpoint = resolveEngineHost(
        this.settings.dockerHost || undefined,
        editorHostResolutionDeps(),
      );
      this.log.info(`engine: ${endpoint.host} (from ${endpoint.source})`);
      this.current = { endpoint, client: createEngineClient(endpoint) };
    }
    return this.current.client;
  }

  /** Where the engine is, for messages; the error text when the setting is malformed. */
  describe(): string {
    try {
      return (
        this.current?.endpoint.host ??
        resolveEngineHost(this.settings.dockerHost || undefined, editorHostResolutionDeps()).host
      );
    } catch (e) {
      return (e as Error).message;
    }
  }

  /** Forget the client so the next use connects afresh (after the user fixed something). */
  reset(): void {
    this.current = undefined;
    this.changed.fire();
  }
}
