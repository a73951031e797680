// Modelled on platform-equivalents/auth/post.login.js: POST /auth/login issues an HMAC-signed token.
const crypto = require("node:crypto");

exports.handler = async (event) => {
  const body = event.body ? JSON.parse(event.body) : {};
  const username = String(body.username || "").trim();
  if (!username) return { status: 400, body: JSON.stringify({ error: "username is required" }) };
  const role = body.role || "viewer";
  const secret = (event.env || {}).AUTH_SECRET || "fastfn-auth-secret";
  const now = Math.floor(Date.now() / 1000);
  const encoded = Buffer.from(JSON.stringify({ sub: username, role, iat: now, exp: now + 3600 })).toString("base64url");
  const signature = crypto.createHmac("sha256", secret).update(encoded).digest("hex");
  return { status: 200, body: JSON.stringify({ token: `${encoded}.${signature}`, expires_in: 3600, username, role }) };
};
