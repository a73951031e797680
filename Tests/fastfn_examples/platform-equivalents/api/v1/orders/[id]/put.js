// Modelled on platform-equivalents/api/v1/orders/[id]/put.js: PUT /api/v1/orders/:id sets the status.
const fs = require("node:fs");
const path = require("node:path");

const STATE = path.join(__dirname, "..", ".state", "orders.json");
const ALLOWED = ["pending", "processing", "shipped", "delivered", "cancelled"];
const json = (status, payload) => ({ status, headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload) });

exports.handler = async (event, params) => {
  const id = Number((params && params.id) || 0);
  const body = event.body ? JSON.parse(event.body) : {};
  const status = String(body.status || "").toLowerCase();
  if (!ALLOWED.includes(status)) return json(400, { error: `status must be one of: ${ALLOWED.join(", ")}` });
  let orders = [];
  try { orders = JSON.parse(fs.readFileSync(STATE, "utf8")); } catch { orders = []; }
  const index = orders.findIndex((order) => order.id === id);
  if (index < 0) return json(404, { error: "Order not found" });
  orders[index] = { ...orders[index], status, tracking_number: body.tracking_number || null,
                    updated_at: Math.floor(Date.now() / 1000) };
  fs.writeFileSync(STATE, JSON.stringify(orders, null, 2));
  return json(200, { ok: true, order: orders[index] });
};
