// Modelled on docs/en/tutorial/versioning-and-rollout.md: version v2, GET /hello@v2. The tutorial
// returns the plain object {status: "success", data: {...}}; a top-level `status` makes an object
// a response envelope (FastFN's Node runtime and Apus alike), so the payload goes in `body` here.
exports.handler = async (event) => {
  const name = (event.query || {}).name || "World";
  return { status: 200, body: { status: "success", data: { greeting: `Hello from V2, ${name}` } } };
};
