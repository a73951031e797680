// Modelled on rest-api-methods/posts/[slug]/get.js: GET /posts/:slug
exports.handler = async (event, { slug }) => ({
  status: 200,
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ slug, title: `Post: ${slug}`, content: "Lorem ipsum..." }),
});
