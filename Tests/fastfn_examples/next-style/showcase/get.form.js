// Modelled on next-style/showcase/get.form.js: GET /showcase/form reads the form state.
const { current, json } = require("./_form");
exports.handler = async () => json(200, { route: "GET /showcase/form", data: current(), runtime: "node" });
