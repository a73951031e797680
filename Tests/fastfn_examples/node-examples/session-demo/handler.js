// Modelled on examples/functions/node/session-demo: event.session from the Cookie header.
exports.handler = async (event) => {
  const session = event.session || {};
  const cookies = session.cookies || {};
  console.log(`[session-demo] session_id = ${session.id}`);
  if (!session.id) {
    return { status: 401, headers: { "Content-Type": "application/json" },
             body: JSON.stringify({ error: "No session cookie found", hint: "Send Cookie: session_id=your-token" }) };
  }
  return { status: 200, headers: { "Content-Type": "application/json" },
           body: JSON.stringify({ authenticated: true, session_id: session.id, theme: cookies.theme || "light", all_cookies: cookies }) };
};
