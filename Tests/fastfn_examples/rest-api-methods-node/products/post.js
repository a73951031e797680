// Modelled on rest-api-methods/products/post.js: POST /products
exports.handler = async (event) => {
  let data;
  try {
    data = event.body ? JSON.parse(event.body) : {};
  } catch {
    return { status: 400, body: JSON.stringify({ error: "Invalid JSON" }) };
  }
  const name = String(data.name || "").trim();
  if (!name) return { status: 400, body: JSON.stringify({ error: "name is required" }) };
  return { status: 201, headers: { "Content-Type": "application/json" },
           body: JSON.stringify({ id: 42, name, price: data.price || 0, created: true }) };
};
