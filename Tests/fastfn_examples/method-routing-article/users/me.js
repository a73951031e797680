// Modelled on docs/en/articles/file-based-method-routing.md: /users/me beats users/[id].js
exports.handler = async () => ({ route: "GET /users/me", id: "me" });
