// Modelled on examples/functions/node/node-echo: GET /node-echo?name=Node
exports.handler = async (event) => ({
  status: 200,
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ runtime: "node", function: "node-echo", hello: (event.query && event.query.name) || "world" }),
});
