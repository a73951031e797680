// Modelled on rest-api-methods/products/[id]/delete.js: DELETE /products/:id
exports.handler = async (event, { id }) => ({
  status: 200,
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ id: Number(id), deleted: true }),
});
