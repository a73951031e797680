// Modelled on rest-api-methods/files/[...path]/get.js: GET /files/* (catch-all)
exports.handler = async (event, { path }) => {
  const segments = typeof path === "string" && path ? path.split("/") : [];
  return { status: 200, headers: { "Content-Type": "application/json" },
           body: JSON.stringify({ path, segments, depth: segments.length }) };
};
