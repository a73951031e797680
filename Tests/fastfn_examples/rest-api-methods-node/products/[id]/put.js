// Modelled on rest-api-methods/products/[id]/put.js: PUT /products/:id
exports.handler = async (event, { id }) => {
  let data;
  try {
    data = event.body ? JSON.parse(event.body) : {};
  } catch {
    return { status: 400, body: JSON.stringify({ error: "Invalid JSON" }) };
  }
  return { status: 200, headers: { "Content-Type": "application/json" },
           body: JSON.stringify({ id: Number(id), ...data, updated: true }) };
};
