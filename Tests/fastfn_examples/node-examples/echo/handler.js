// Modelled on examples/functions/node/echo: GET /echo?key=value echoes the query and context.user
exports.handler = async (event) => {
  const query = event.query || {};
  const context = event.context || {};
  return {
    status: 200,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ key: query.key ?? null, query, context: { user: context.user || null } }),
  };
};
