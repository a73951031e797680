// Modelled on rest-api-methods/products/get.js: GET /products
exports.handler = async () => {
  const products = [{ id: 1, name: "Widget", price: 9.99 }, { id: 2, name: "Gadget", price: 24.99 }];
  return { status: 200, headers: { "Content-Type": "application/json" }, body: JSON.stringify({ products, total: products.length }) };
};
