"""Weighted rollouts between a function and its versions: the home folder's ``fn.config.json``
says which share of the requests to the function's route each version gets::

    {"rollout": {"v2": 10}}          # 10% of GET /hello is served by /hello@v2, 90% by /hello

The runtime (``FunctionsResponder`` in Swift) draws for each request to the route and sends the
chosen share to the version's route, whose function sees ``event.context.version`` "v2". Only a
route without parameters rolls out (the version's route has none either)."""
import os

from .errors import ConfigError


def collect(specs):
    """The rollouts of a tree's resolved routes, for the manifest."""
    versions = {}
    for spec in specs:
        if spec.version != "default":
            home = spec.path.rpartition("@")[0] or "/"
            versions.setdefault(home, {})[spec.version] = spec
    planned = []
    seen = set()
    for spec in specs:
        raw = spec.config.raw.get("rollout")
        where = spec.config.where
        if raw is None or spec.version != "default" or os.path.dirname(where) != spec.folder or spec.path in seen:
            continue
        if "{" in spec.path:
            continue  # the catch-all beside a named function's route: only its own path rolls out
        seen.add(spec.path)
        if not isinstance(raw, dict) or not raw:
            raise ConfigError(f"{where}: rollout must be an object of versions and their percentages")
        for version, weight in raw.items():
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight <= 100:
                raise ConfigError(f"{where}: rollout.{version} must be a percentage, 0 to 100")
        if sum(raw.values()) > 100:
            raise ConfigError(f"{where}: rollout's percentages add up to more than 100")
        shares = []
        for version, weight in sorted(raw.items()):
            target = versions.get(spec.path, {}).get(version)
            if target is None:
                known = ", ".join(sorted(versions.get(spec.path, {}))) or "none"
                raise ConfigError(f"{where}: rollout names {version!r}, which is not a version of {spec.path} "
                                  f"(its versions: {known})")
            missing = [method for method in spec.methods if method not in target.methods]
            if missing:
                raise ConfigError(f"{where}: rollout sends {', '.join(missing)} {spec.path} to {version!r}, which does not "
                                  f"answer {', '.join(missing)}")
            shares.append({"version": version, "path": target.path, "weight": float(weight)})
        planned.append({"path": spec.path, "methods": spec.methods, "versions": shares,
                        "config": os.path.join(os.path.dirname(spec.relative_file), "fn.config.json")})
    return planned
