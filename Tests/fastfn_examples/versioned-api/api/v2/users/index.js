// Modelled on versioned-api/api/v2/users/index.js: GET /api/v2/users (extended response)
exports.handler = function () {
  return { status: 200, headers: { "Content-Type": "application/json" },
           body: JSON.stringify({ version: "v2", data: { users: [
             { id: 1, name: "Alice", email: "alice@example.com" }, { id: 2, name: "Bob", email: "bob@example.com" }],
             total: 2, page: 1 } }) };
};
