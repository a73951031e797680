// Modelled on docs/en/tutorial/from-zero/chapter-04-meta-and-methods.md: GET /hello-world
exports.handler = async (event) => ({ hello: (event.query && event.query.name) || "world", method: event.method });
