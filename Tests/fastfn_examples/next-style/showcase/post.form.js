// Modelled on next-style/showcase/post.form.js: POST /showcase/form saves the form state.
exports.handler = require("./_form").upsert("POST");
