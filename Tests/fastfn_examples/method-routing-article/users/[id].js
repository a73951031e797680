// Modelled on docs/en/articles/file-based-method-routing.md: GET /users/:id
exports.handler = async (event) => ({ route: "GET /users/:id", id: event.params.id });
