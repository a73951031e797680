// Modelled on docs/en/tutorial/from-zero/chapter-04-meta-and-methods.md: this POST file stays on
// disk, but the folder's fn.config.json allows GET only.
exports.handler = async (event) => ({ posted: true, method: event.method });
