// Modelled on examples/functions/node/custom-handler-demo: the callable is `main`
// (fn.config.json invoke.handler), not `handler`.
exports.main = async (event) => ({
  status: 200,
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ runtime: "node", handler: "main", hello: (event.query && event.query.name) || "world" }),
});
