"""What stops a tree from loading."""


class ConfigError(Exception):
    """A configuration file that cannot be used, with the file in the message."""


class MissingFastAPI(ConfigError):
    """The tree needs FastAPI (it has Python functions), and the environment has none."""
