// A large, valid master copy (about `targetLines` lines) for tests and benchmarks:
// the shape a real big one has — many files with inline content, many
// variables, ports, labels, build steps.
export function bigMasterCopy(targetLines = 2000): string {
  const out: string[] = [
    '# A large master copy, generated for tests and benchmarks.',
    'mastercopy: 1',
    'name: big-service',
    'version: "3.2.1"',
    'description: A service with a lot of configuration baked in',
    'owners: [devs, ops, security]',
    'from: busybox:stable',
    'build:',
    '  args:',
  ];
  for (let i = 0; i < 20; i++) out.push(`    ARG_${i}: value-${i}`);
  out.push('  steps:');
  for (let i = 0; i < 30; i++)
    out.push(
      i % 3
        ? `    - mkdir -p /srv/data/d${i}`
        : `    - ["/bin/sh", "-c", "echo step ${i} > /tmp/s${i}"]`,
    );
  out.push('env:');
  for (let i = 0; i < 120; i++) out.push(`  SETTING_${i}: "${i % 2 ? 'on' : 'value ' + i}"`);
  out.push(
    'user: "1000"',
    'workdir: /srv/www',
    'command: ["/bin/httpd", "-f", "-p", "8080", "-h", "/srv/www"]',
    'ports:',
    '  - 8080',
  );
  for (let i = 0; i < 40; i++)
    out.push(i % 4 ? `  - ${9000 + i}` : `  - { port: ${9000 + i}, protocol: udp }`);
  out.push(
    'health:',
    '  http: { port: 8080, path: /health }',
    '  interval: 2s',
    '  timeout: 1s',
    '  retries: 3',
    '  startPeriod: 5s',
    'copies: 3',
  );
  out.push(
    'runtime:',
    '  readOnly: true',
    '  tmpfs: [/tmp, /run]',
    '  capabilities: { drop: [ALL], add: [] }',
    '  noNewPrivileges: true',
    '  memory: 256m',
    '  cpus: 0.5',
    '  restart: on-failure',
  );
  out.push('volumes:');
  for (let i = 0; i < 10; i++) out.push(`  - { name: vol${i}, path: /var/lib/v${i} }`);
  out.push('secrets:', '  - { name: DB_PASSWORD, fromEnv: DB_PASSWORD }', 'labels:');
  for (let i = 0; i < 40; i++) out.push(`  team.${i}: payments-${i}`);
  out.push('gateway: { port: 18080, target: 8080 }', 'files:');
  for (let f = 0; out.length < targetLines - 3; f++) {
    out.push(
      `  - path: /etc/app/conf.d/${String(f).padStart(3, '0')}.yaml`,
      '    mode: "0644"',
      '    content: |',
    );
    for (let l = 0; l < 14; l++)
      out.push(`      setting_${l}: ${f * 100 + l}  # line ${l} of file ${f}`);
  }
  return out.join('\n') + '\n';
}
