// "Master Copy: Open Preview to the Side": the preview of the file it was run on (explorer,
// editor title or context menu), else of the active master copy.
import * as vscode from 'vscode';
import type { MasterCopyPreview, PreviewApi } from '../preview/masterCopyPreview';
import type { Command, CommandDeps } from './command';

export function openPreviewCommand({
  preview,
}: CommandDeps & { preview: MasterCopyPreview }): Command {
  return {
    id: 'mastercopy.openPreview',
    async run(arg?: unknown) {
      await preview.open(arg instanceof vscode.Uri ? arg : undefined);
      // For the extension's tests: current() tells what the panel shows.
      return preview as PreviewApi;
    },
  };
}
