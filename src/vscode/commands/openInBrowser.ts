// "Open in Browser": a copy's first published TCP port, or a master copy's endpoint, on the host.
import * as vscode from 'vscode';
import type { Command, CommandDeps } from './command';
import { isNode } from './target';

export function openInBrowserCommand(_deps: CommandDeps): Command {
  return {
    id: 'mastercopy.openInBrowser',
    async run(arg?: unknown) {
      if (isNode(arg) && arg.kind === 'endpoint') {
        const uri = vscode.Uri.parse(arg.endpoint.url);
        await vscode.env.openExternal(uri);
        return uri;
      }
      if (!isNode(arg) || arg.kind !== 'copy')
        throw new Error('Open in Browser works on a copy or an endpoint in the Copies view.');
      const port = arg.copy.ports.find((p) => p.protocol === 'tcp' && p.host !== null);
      if (!port)
        throw new Error(`Copy #${arg.copy.index} of ${arg.copy.name} publishes no TCP port.`);
      const uri = vscode.Uri.parse(
        `http://${port.hostIp && port.hostIp !== '0.0.0.0' ? port.hostIp : '127.0.0.1'}:${port.host}/`,
      );
      await vscode.env.openExternal(uri);
      return uri;
    },
  };
}
