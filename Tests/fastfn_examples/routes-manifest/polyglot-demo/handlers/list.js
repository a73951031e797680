// Modelled on FastFN's polyglot-demo fixture (fn.routes.json "GET /items": "handlers/list.js")
exports.handler = async () => ({ items: [{ id: "1", name: "apple" }, { id: "2", name: "pear" }], runtime: "node" });
