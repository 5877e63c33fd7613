// Stands in for `require('ssh2')` in docker-modem: the real ssh2 (bundled) is loaded when
// the first ssh:// connection is made, not when dockerode loads. See ../lightDockerode.mjs.
class Client {
  constructor(...args) {
    const Real = require('ssh2').Client;
    return new Real(...args);
  }
}
module.exports = { Client };
