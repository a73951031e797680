// POST /node-examples/echo: the JSON body back, with 201.
exports.handler = (event) => ({
  status: 201,
  headers: { 'x-runtime': 'node' },
  body: JSON.parse(event.body || 'null'),
});
