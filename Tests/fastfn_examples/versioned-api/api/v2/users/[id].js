// Modelled on versioned-api/api/v2/users/[id].js: GET /api/v2/users/:id
exports.handler = function (event) {
  const id = Number((event.params || {}).id || 0);
  return { status: 200, headers: { "Content-Type": "application/json" },
           body: JSON.stringify({ version: "v2", data: { id, name: "Alice", email: "alice@example.com", role: "admin" } }) };
};
