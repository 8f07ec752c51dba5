// Each suite starts a whole cluster (`npm run cluster`): one at a time, however many cores.
module.exports = { ...require('../../jest.preset.js'), displayName: require('./package.json').name, maxWorkers: 1 };
