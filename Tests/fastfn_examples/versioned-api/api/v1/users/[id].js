// Modelled on versioned-api/api/v1/users/[id].js: GET /api/v1/users/:id
exports.handler = function (event) {
  const id = Number((event.params || {}).id || 0);
  return { status: 200, headers: { "Content-Type": "application/json" },
           body: JSON.stringify({ version: "v1", user: { id, name: "Alice" } }) };
};
