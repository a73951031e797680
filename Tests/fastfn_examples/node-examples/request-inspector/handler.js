// Modelled on examples/functions/node/request-inspector: GET/POST/PUT/PATCH/DELETE /request-inspector
// echoes the request; inspect.js beside it is a private module.
const { describe } = require("./inspect");

exports.handler = async (event) => ({
  status: 200,
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify(describe(event)),
});
