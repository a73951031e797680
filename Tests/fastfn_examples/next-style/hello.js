// Modelled on next-style/hello.js: GET /hello, a plain object (shorthand for a JSON 200)
exports.handler = async (event) => ({ message: "hello works", runtime: "node", query: event.query || {} });
