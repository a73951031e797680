// Private helper (not a route): shared by users/index.js and users/[id].js.
const meta = { runtime: "node", helper: "users/_shared.js" };

function asJson(payload) {
  return { status: 200, headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload) };
}

module.exports = {
  listing: () => asJson({ route: "/users", ...meta, users: [{ id: "123", label: "Ada" }, { id: "456", label: "Kai" }] }),
  detail: (params) => asJson({ route: "/users/:id", params: params || {}, ...meta }),
};
