// Modelled on platform-equivalents/api/v1/orders/get.js: GET /api/v1/orders[?status=...]
const fs = require("node:fs");
const path = require("node:path");

const STATE = path.join(__dirname, ".state", "orders.json");

exports.handler = async (event) => {
  let orders = [];
  try { orders = JSON.parse(fs.readFileSync(STATE, "utf8")); } catch { orders = []; }
  const wanted = String((event.query && event.query.status) || "").toLowerCase();
  const result = wanted ? orders.filter((order) => String(order.status).toLowerCase() === wanted) : orders;
  return { status: 200, body: JSON.stringify({ ok: true, total: result.length, orders: result }) };
};
