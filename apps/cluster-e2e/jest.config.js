// Each suite starts a whole cluster (`npm run cluster`): one at a time, however many cores. The last test of
// each file stops the cluster and checks nothing is left; client sockets kept alive past that (undici,
// socket.io-client) would otherwise hold Jest for about a minute per file.
module.exports = { ...require('../../jest.preset.js'), displayName: require('./package.json').name, maxWorkers: 1, forceExit: true };
