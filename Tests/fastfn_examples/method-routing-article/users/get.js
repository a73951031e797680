// Modelled on docs/en/articles/file-based-method-routing.md ("Static and dynamic on the same level").
// The article lists users/index.js; under FastFN's single-entry rule (function-spec.md: a folder
// with index.* is one function's home, its other siblings private) that would hide me.js, so the
// list route is the method file get.js here, which keeps users/ a pure file tree.
exports.handler = async () => ({ route: "GET /users" });
