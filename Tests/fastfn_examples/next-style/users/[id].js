// Modelled on next-style/users/[id].js: GET /users/:id
const shared = require("./_shared");
exports.handler = async (event) => shared.detail(event.params);
