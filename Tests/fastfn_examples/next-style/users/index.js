// Modelled on next-style/users/index.js: GET /users
const shared = require("./_shared");
exports.handler = async () => shared.listing();
