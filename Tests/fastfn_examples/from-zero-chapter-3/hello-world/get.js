// Modelled on docs/en/tutorial/from-zero/chapter-03-env.md: GET /hello-world reads fn.env.json.
exports.handler = async (event) => {
  const env = event.env || {};
  const name = (event.query && event.query.name) || "world";
  return {
    status: 200,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ message: `${env.WELCOME_PREFIX || "Hello"} ${name}`, app_mode: env.APP_MODE || "unknown",
                           has_api_key: Boolean(env.MY_API_KEY) }),
  };
};
