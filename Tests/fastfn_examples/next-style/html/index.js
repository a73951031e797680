// Modelled on next-style/html/index.js: GET /html returns an HTML page
const escape = (text) => String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

exports.handler = async (event) => {
  const name = escape((event.query && event.query.name) || "FastFN");
  return {
    status: 200,
    headers: { "Content-Type": "text/html; charset=utf-8" },
    body: `<!doctype html><html><head><title>HTML demo</title><style>body{font-family:sans-serif}</style></head>` +
      `<body><main><h1>Hello ${name}</h1><p>Real HTML from a file route.</p></main></body></html>`,
  };
};
