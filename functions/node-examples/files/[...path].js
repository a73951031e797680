// GET /node-examples/files/{path:path}: a catch-all.
exports.handler = (event, params) => ({ path: params.path, runtime: 'node' });
