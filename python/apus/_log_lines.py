"""The app's log records as JSON lines, under ``apus run --log-format json``, in the shape of
the server's own: ``time``, ``level``, ``logger``, ``message`` (and ``exception`` with its
traceback).

Only records nothing else handles are written this way: the formatter replaces
``logging.lastResort``, the handler Python itself uses when a record finds no handler (WARNING
and above, on stderr). An app that configures logging (``basicConfig``, ``dictConfig``) keeps
exactly the output it configured."""
import datetime
import json
import logging
import sys


class JSONLines(logging.Formatter):
    def format(self, record):
        moment = datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc)
        entry = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _StderrNow(logging.StreamHandler):
    """``sys.stderr`` as it is when a record is written (as Python's own last resort does), so a
    replaced stream is honoured."""

    def __init__(self, level):
        super().__init__(None)
        self.setLevel(level)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def use_json_lines():
    handler = _StderrNow(logging.WARNING)
    handler.setFormatter(JSONLines())
    logging.lastResort = handler


def apply_config(path):
    """``--log-config``: the app's logging configured from a file, as uvicorn configures it: a
    ``.json`` or ``.yaml``/``.yml`` file is a ``dictConfig`` dict, anything else an INI file for
    ``fileConfig`` (existing loggers kept)."""
    import logging.config

    if path.endswith(".json"):
        with open(path, encoding="utf-8") as file:
            logging.config.dictConfig(json.load(file))
    elif path.endswith((".yaml", ".yml")):
        try:
            import yaml
        except ImportError:
            raise RuntimeError(f"--log-config {path}: a YAML file needs PyYAML in the app's environment "
                               "(pip install pyyaml)") from None
        with open(path, encoding="utf-8") as file:
            logging.config.dictConfig(yaml.safe_load(file))
    else:
        logging.config.fileConfig(path, disable_existing_loggers=False)
