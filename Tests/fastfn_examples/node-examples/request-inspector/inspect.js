// A private module of the request-inspector function (a sibling of its entry file: not a route).
function interestingHeaders(headers) {
  const picked = {};
  for (const [name, value] of Object.entries(headers || {})) {
    const lower = name.toLowerCase();
    if (lower.startsWith("x-") || ["content-type", "user-agent", "authorization"].includes(lower)) picked[lower] = value;
  }
  return picked;
}

function describe(event) {
  const body = typeof event.body === "string" ? event.body : "";
  return {
    ok: true,
    method: event.method || null,
    path: event.path || null,
    query: event.query || {},
    headers: interestingHeaders(event.headers),
    body: body.length > 2048 ? body.slice(0, 2048) + "...(truncated)" : body,
    context: { request_id: event.context && event.context.request_id, user: event.context && event.context.user },
  };
}

module.exports = { describe };
