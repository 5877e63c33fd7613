// "Copy Address": a master copy's endpoint (http://ADDRESS:PORT), for a browser, curl or a colleague.
import * as vscode from 'vscode';
import type { Command, CommandDeps } from './command';
import { isNode } from './target';

export function copyAddressCommand(_deps: CommandDeps): Command {
  return {
    id: 'mastercopy.copyAddress',
    async run(arg?: unknown) {
      if (!isNode(arg) || arg.kind !== 'endpoint')
        throw new Error('Copy Address works on an endpoint in the Copies view.');
      const address = arg.endpoint.url.replace(/\/$/, '');
      await vscode.env.clipboard.writeText(address);
      vscode.window.setStatusBarMessage(`Copied the endpoint of ${arg.name}: ${address}`, 3000);
      return address;
    },
  };
}
