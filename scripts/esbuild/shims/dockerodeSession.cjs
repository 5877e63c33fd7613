// Stands in for dockerode/lib/session.js (BuildKit sessions over gRPC), which Master Copy
// never uses: it builds with the classic builder. See ../lightDockerode.mjs.
module.exports = function withSession(_docker, _auth, callback) {
  callback(new Error('BuildKit sessions (build version "2") are not bundled with Master Copy'));
};
