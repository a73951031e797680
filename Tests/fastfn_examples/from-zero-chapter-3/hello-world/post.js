// Modelled on docs/en/tutorial/from-zero/chapter-02-query-and-body.md: POST /hello-world echoes
// the query and the body (JSON, or {raw} for text).
module.exports.handler = async (event) => {
  const query = event.query || {};
  let body = null;
  if (event.body && event.body.trim() !== "") {
    try { body = JSON.parse(event.body); } catch (_) { body = { raw: event.body }; }
  }
  return { status: 200, headers: { "Content-Type": "application/json" },
           body: JSON.stringify({ hello: query.name || "world", query, body, method: event.method }) };
};
