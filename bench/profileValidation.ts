// A loop of one validation case, for `node bench/profile.mjs` (run under --cpu-prof).
import { MasterCopyValidator, validateText } from '../src/core/mastercopy/validator';
import { bigMasterCopy } from '../test/support/bigMasterCopy';

export function loop(which: string, iterations: number): void {
  const base = bigMasterCopy(2000);
  if (which === 'fresh-text') {
    for (let i = 0; i < iterations; i++) validateText(base);
  } else if (which === 'fresh-validator') {
    for (let i = 0; i < iterations; i++) new MasterCopyValidator().validate(`k${i}`, base);
  } else if (which === 'edit') {
    // Type and undo one character in an env value and in a file's inline content, in turn.
    const a = base.indexOf('"value 40"') + 7;
    const b = base.lastIndexOf('# line 13') + 2;
    const texts = [
      base.slice(0, a) + 'x' + base.slice(a),
      base,
      base.slice(0, b) + 'x' + base.slice(b),
      base,
    ];
    const v = new MasterCopyValidator();
    v.validate('k', base);
    for (let i = 0; i < iterations; i++) v.validate('k', texts[i % texts.length]);
  } else throw new Error(`unknown case ${which} (fresh-text, fresh-validator, edit)`);
}
