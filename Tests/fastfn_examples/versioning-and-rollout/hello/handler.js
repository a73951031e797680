// Modelled on docs/en/tutorial/versioning-and-rollout.md: the default version, GET /hello
exports.handler = async (event) => {
  const name = (event.query || {}).name || "World";
  return { message: `Hello from V1, ${name}` };
};
