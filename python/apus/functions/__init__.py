"""Functions directories: drop a file in ``functions/`` and get an endpoint.

``discovery`` maps the tree to routes with FastFN's rules (file names, ``[id]`` parameters,
catch-alls, method prefixes, ``fn.routes.json``, ``fn.config.json``, ``fn.env.json``);
``app.build_app`` turns the routes into a FastAPI app, in FastFN's precedence order, so that the
runtime serves a tree the way it serves any app: Python functions as native plans (``event``
handlers through ``python_function.FunctionPlan``, typed handlers as real FastAPI routes), functions in
other languages through the runtime's worker pools, and ``/openapi.json`` and ``/docs`` listing
them all."""
from .app import FunctionsApp, build_app, load, reload

__all__ = ["FunctionsApp", "build_app", "load", "reload"]
