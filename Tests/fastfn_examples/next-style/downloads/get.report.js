// Modelled on next-style/downloads/get.report.js: GET /downloads/report, a CSV attachment
// read from a file beside the function (report.csv is not a route).
const fs = require("node:fs");
const path = require("node:path");

exports.handler = async () => ({
  status: 200,
  headers: {
    "Content-Type": "text/csv; charset=utf-8",
    "Content-Disposition": 'attachment; filename="report.csv"',
    "Cache-Control": "no-store",
  },
  body: fs.readFileSync(path.join(__dirname, "report.csv"), "utf8"),
});
