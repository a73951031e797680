// GET /node-examples/items/{id}: route parameters as the second argument.
exports.handler = (event, params) => ({ id: params.id, runtime: 'node' });
