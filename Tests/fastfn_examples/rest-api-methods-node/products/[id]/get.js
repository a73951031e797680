// Modelled on rest-api-methods/products/[id]/get.js: GET /products/:id, params as 2nd argument
exports.handler = async (event, { id }) => ({
  status: 200,
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ id: Number(id), name: "Widget", price: 9.99 }),
});
