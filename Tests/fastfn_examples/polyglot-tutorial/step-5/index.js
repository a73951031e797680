// Modelled on polyglot-tutorial/step-5 (Node orchestrator): calls steps 1-4 over HTTP on the
// server that serves it (the request's Host) and returns their answers as `flow`.
async function getJson(base, path) {
  const response = await fetch(base + path, { headers: { "x-internal-call": "1" } });
  const text = await response.text();
  if (!response.ok) throw new Error(`internal call failed ${path}: status=${response.status} body=${text}`);
  return JSON.parse(text);
}

exports.handler = async (event) => {
  const name = (event.query && event.query.name) || "friend";
  const encoded = encodeURIComponent(name);
  const base = `http://${event.headers.host}`;
  const prefix = event.path.replace(/\/step-5\/?$/, "");
  try {
    const flow = await Promise.all([
      getJson(base, `${prefix}/step-1`),
      getJson(base, `${prefix}/step-2?name=${encoded}`),
      getJson(base, `${prefix}/step-3?name=${encoded}`),
      getJson(base, `${prefix}/step-4`),
    ]);
    return { status: 200, headers: { "Content-Type": "application/json" },
             body: JSON.stringify({ step: 5, runtime: "node", name, flow, summary: `Polyglot pipeline completed for ${name}` }) };
  } catch (error) {
    return { status: 502, headers: { "Content-Type": "application/json" },
             body: JSON.stringify({ error: String(error && error.message ? error.message : error), runtime: "node", step: 5 }) };
  }
};
