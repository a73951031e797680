// Modelled on next-style/showcase/put.form.js: PUT /showcase/form updates the form state.
exports.handler = require("./_form").upsert("PUT");
