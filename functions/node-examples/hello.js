// GET /node-examples/hello
exports.handler = async (event) => ({ hello: event.query.name || 'world', runtime: 'node' });
