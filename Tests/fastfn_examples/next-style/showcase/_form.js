// Private helper of the showcase form routes: the form state, kept in this module and shared by
// get.form.js (reads it), post.form.js (saves it) and put.form.js (updates it).
const DEFAULTS = { name: "Builder", accent: "#22c55e", message: "Preview rendered by a function." };
const ACCENTS = ["#22c55e", "#38bdf8", "#f59e0b", "#f472b6"];
const state = { ...DEFAULTS };

function text(value, fallback, max) {
  const trimmed = String(value == null ? "" : value).trim();
  return trimmed ? trimmed.slice(0, max) : fallback;
}

function save(input) {
  state.name = text(input.name, DEFAULTS.name, 60);
  state.accent = ACCENTS.includes(input.accent) ? input.accent : DEFAULTS.accent;
  state.message = text(input.message, DEFAULTS.message, 280);
  return { ...state };
}

const json = (status, payload) => ({ status, headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload) });

function upsert(method) {
  return async (event) => {
    let input;
    try {
      input = event.body ? JSON.parse(event.body) : {};
    } catch (error) {
      return json(400, { error: "invalid_json_body", message: error.message });
    }
    return json(200, { route: `${method} /showcase/form`, data: save(input), runtime: "node" });
  };
}

module.exports = { current: () => ({ ...state }), json, upsert };
