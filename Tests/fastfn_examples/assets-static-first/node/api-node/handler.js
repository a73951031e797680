// Modelled on assets-static-first/node/api-node: GET /api-node, beside the static assets.
exports.handler = async () => ({
  status: 200,
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ runtime: "node", title: "Node fallback route", path: "/api-node" }),
});
