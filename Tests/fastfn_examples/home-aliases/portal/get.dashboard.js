// Modelled on docs/en/how-to/zero-config-routing.md ("Folder-defined home alias"): /portal runs
// portal/get.dashboard.js, as /portal/dashboard does.
exports.handler = async () => ({ page: "dashboard", runtime: "node" });
