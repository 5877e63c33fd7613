// The text of a new master copy: valid as it stands, hardened by default.

/** A lowercase DNS label made from whatever the user typed. */
export function toMasterCopyName(input: string): string {
  const name = input
    .toLowerCase()
    .replace(/\.mastercopy\.ya?ml$/, '')
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return name || 'my-server';
}

export function scaffoldMasterCopy(name: string): string {
  return `# ${name}: one readable file that describes the whole server.
# Build it into an image and print identical, read-only copies from it.
mastercopy: 1
name: ${name}
version: "0.1.0"
description: What ${name} is for, in a sentence

from: busybox:stable

files:
  - path: /srv/www/index.html
    content: |
      <h1>${name}</h1>
  - path: /srv/www/health
    content: ok

user: "1000"
workdir: /srv/www
command: ["/bin/httpd", "-f", "-p", "8080", "-h", "/srv/www"]

ports: [8080]

health:
  http: { port: 8080, path: /health }
  interval: 2s
  timeout: 1s
  retries: 3

copies: 2

runtime:
  readOnly: true
  tmpfs: [/tmp]
  capabilities: { drop: [ALL] }
  noNewPrivileges: true
  memory: 64m
`;
}
