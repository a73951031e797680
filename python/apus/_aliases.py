"""Makes ``import fastapi`` (and ``fastapi.X``, ``starlette.X``) resolve to this package, so
FastAPI apps run unmodified. Installed by the runtime before it imports an app."""
import importlib
import importlib.abc
import importlib.util
import sys

ALIASES = ("fastapi", "starlette")


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        root, _, rest = fullname.partition(".")
        if root not in ALIASES:
            return None
        real = "apus" + ("." + rest if rest else "")
        if importlib.util.find_spec(real) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        root, _, rest = spec.name.partition(".")
        module = importlib.import_module("apus" + ("." + rest if rest else ""))
        sys.modules[spec.name] = module
        return module

    def exec_module(self, module):
        pass


def install():
    if not any(isinstance(finder, _AliasFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder())
