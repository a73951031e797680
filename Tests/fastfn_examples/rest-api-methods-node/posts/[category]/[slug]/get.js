// Modelled on rest-api-methods/posts/[category]/[slug]/get.js: GET /posts/:category/:slug
exports.handler = async (event, { category, slug }) => ({
  status: 200,
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ category, slug, title: `${category}/${slug}`, url: `/posts/${category}/${slug}` }),
});
