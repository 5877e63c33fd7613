// An esbuild plugin that keeps dockerode's two heaviest dependencies from loading with it.
//
// dockerode requires, at load, its BuildKit session (@grpc/grpc-js, @grpc/proto-loader,
// protobufjs: ~700 KB of bundle and ~40 ms of start-up) and docker-modem requires ssh2
// (crypto self-checks at load). Master Copy builds with the classic builder (never
// `version: "2"`), so the session is replaced by a stub that says so; ssh2 is still
// bundled, for ssh:// engine hosts, but only loaded when such a connection is made.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const shims = join(dirname(fileURLToPath(import.meta.url)), 'shims');

export const lightDockerode = {
  name: 'light-dockerode',
  setup(build) {
    build.onResolve({ filter: /^\.\/session$/ }, (args) =>
      /[\\/]dockerode[\\/]lib$/.test(args.resolveDir)
        ? { path: join(shims, 'dockerodeSession.cjs') }
        : undefined,
    );
    build.onResolve({ filter: /^ssh2$/ }, (args) =>
      /[\\/]docker-modem[\\/]lib$/.test(args.resolveDir)
        ? { path: join(shims, 'lazySsh2.cjs') }
        : undefined,
    );
  },
};
