// ... and the function fn.routes.json maps to the same URL, which wins.
exports.handler = async () => ({ source: "manifest-route" });
