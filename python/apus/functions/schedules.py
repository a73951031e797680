"""Schedules: ``fn.config.json``'s ``schedule`` block, read and checked when the tree loads, and
the calendar arithmetic of its ``cron`` expressions. The runtime (``FunctionScheduler`` in
Swift) keeps the timers, invokes the functions through the server's own routes, retries them
and keeps their state; it asks ``next_run`` when a cron schedule is due again.

The block is FastFN's::

    {"schedule": {"enabled": true, "every_seconds": 60}}
    {"schedule": {"enabled": true, "cron": "0 9 * * 1-5", "timezone": "Europe/Madrid",
                  "method": "POST", "query": {...}, "headers": {...}, "body": "...",
                  "context": {...}, "retry": {"max_attempts": 3, "base_delay_seconds": 1,
                  "max_delay_seconds": 30, "jitter": 0.2}, "overlap": "queue"}}

What Apus does beyond FastFN: a schedule applies to the functions of its own folder whatever
their layout (zero-config files included), IANA time zones are accepted besides FastFN's
``UTC``, ``local`` and fixed offsets, and a schedule that cannot run as written (an invalid
cron, a method its function does not answer) stops the load with the reason instead of being
dropped."""
import datetime
import json
import os
import re
import urllib.parse

from .errors import ConfigError

_MACROS = {
    "@yearly": "0 0 0 1 1 *", "@annually": "0 0 0 1 1 *", "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * 0", "@daily": "0 0 0 * * *", "@midnight": "0 0 0 * * *", "@hourly": "0 0 * * * *",
}
_MONTHS = {name: number for number, name in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
_DAYS = {name: number for number, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")
# FastFN looks two years ahead; a cron with no time in them (February 30) is refused.
_HORIZON_DAYS = 2 * 366
OVERLAP_POLICIES = ("queue", "skip")


class Cron:
    """A 5-field (minute first) or 6-field (second first) cron expression, or a macro. Fields take
    ``*``, ``?``, lists, ranges (reversed ones swapped), steps, month and day names; day of week
    7 is Sunday; a restricted day of month and day of week match either (as Vixie cron does)."""

    def __init__(self, text):
        if not isinstance(text, str) or not text.strip():
            raise ValueError("cron must be a non-empty string")
        fields = _MACROS.get(text.strip().lower(), text).split()
        if text.strip().startswith("@") and text.strip().lower() not in _MACROS:
            raise ValueError(f"unknown cron macro {text.strip()!r} (known: {', '.join(sorted(_MACROS))})")
        if len(fields) == 5:
            fields = ["0"] + fields
        if len(fields) != 6:
            raise ValueError("cron must have 5 or 6 fields")
        self.text = text
        self.seconds = _field(fields[0], 0, 59, {}, "second")
        self.minutes = _field(fields[1], 0, 59, {}, "minute")
        self.hours = _field(fields[2], 0, 23, {}, "hour")
        self.days = _field(fields[3], 1, 31, {}, "day of month")
        self.months = _field(fields[4], 1, 12, _MONTHS, "month")
        weekdays = _field(fields[5], 0, 7, _DAYS, "day of week")
        self.weekdays = {day % 7 for day in weekdays}
        self.any_day = fields[3] in ("*", "?")
        self.any_weekday = fields[5] in ("*", "?")

    def _day_matches(self, date):
        in_month = date.day in self.days
        in_week = (date.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week

    def next_after(self, after, zone):
        """The first time strictly after ``after`` (epoch seconds) that matches, as epoch seconds,
        reading the fields as the wall clock of ``zone`` (a tzinfo, or None for the server's
        local time). None if no time within two years matches."""
        start = int(after) + 1
        wall = datetime.datetime.fromtimestamp(start, zone).replace(tzinfo=None)
        limit = wall + datetime.timedelta(days=_HORIZON_DAYS)
        while wall <= limit:
            if wall.month not in self.months:
                year, month = (wall.year + 1, 1) if wall.month == 12 else (wall.year, wall.month + 1)
                wall = datetime.datetime(year, month, 1)
                continue
            if not self._day_matches(wall):
                wall = datetime.datetime(wall.year, wall.month, wall.day) + datetime.timedelta(days=1)
                continue
            if wall.hour not in self.hours:
                wall = wall.replace(minute=0, second=0) + datetime.timedelta(hours=1)
                continue
            if wall.minute not in self.minutes:
                wall = wall.replace(second=0) + datetime.timedelta(minutes=1)
                continue
            if wall.second not in self.seconds:
                wall += datetime.timedelta(seconds=1)
                continue
            moment = _epoch(wall, zone)
            if moment >= start:
                return moment
            wall += datetime.timedelta(seconds=1)  # a wall time the zone's clock skipped past
        return None


def _field(text, low, high, names, what):
    values = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, _, step_text = part.partition("/")
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValueError(f"cron {what}: bad step {step_text!r}")
            step = int(step_text)
        if part in ("*", "?"):
            first, last = low, high
        elif "-" in part:
            first_text, _, last_text = part.partition("-")
            first, last = _value(first_text, names, low, high, what), _value(last_text, names, low, high, what)
            if first > last:
                first, last = last, first
        else:
            first = _value(part, names, low, high, what)
            last = high if step > 1 else first
        values.update(range(first, last + 1, step))
    return values


def _value(text, names, low, high, what):
    value = names.get(text.upper()) if not text.isdigit() else int(text)
    if value is None or not low <= value <= high:
        raise ValueError(f"cron {what}: {text!r} is not in {low}-{high}")
    return value


def _epoch(wall, zone):
    if zone is None:
        return int(wall.timestamp())  # naive: the server's local time
    return int(wall.replace(tzinfo=zone).timestamp())


def zone_of(name):
    """The tzinfo for a schedule's ``timezone``: None for ``local``."""
    if name == "local":
        return None
    if name in ("UTC", "Z"):
        return datetime.timezone.utc
    match = _OFFSET.match(name)
    if match:
        sign, hours, minutes = match.groups()
        delta = datetime.timedelta(hours=int(hours), minutes=int(minutes))
        if delta >= datetime.timedelta(hours=24):
            raise ValueError(f"timezone {name!r}: an offset must be under 24 hours")
        return datetime.timezone(-delta if sign == "-" else delta)
    try:
        import zoneinfo
        return zoneinfo.ZoneInfo(name)
    except (ImportError, ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"timezone {name!r}: not UTC, local, an offset (+HH:MM) or a known IANA zone") from None


def next_run(schedule_json, after):
    """The time after ``after`` (epoch seconds, as text) at which a schedule (as ``parse`` made
    it, in JSON) is due: epoch seconds as text, or "" if none is (a cron with no time in two
    years). Text both ways: the runtime's calls into Python pass and read text."""
    schedule = json.loads(schedule_json)
    after = float(after)
    if schedule.get("every_seconds"):
        every = schedule["every_seconds"]
        return str((int(after) // every) * every + every)
    moment = Cron(schedule["cron"]).next_after(after, zone_of(schedule["timezone"]))
    return "" if moment is None else str(moment)


def _number(raw, names, default, low, high, where, integer=False):
    for name in names:
        if name in raw:
            value = raw[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{where}: schedule.retry.{names[0]} must be a number")
            value = int(value) if integer else float(value)
            return min(max(value, low), high)
    return default


def _retry(raw, where):
    if raw is None or raw is False:
        return {"enabled": False, "max_attempts": 1, "base_delay_seconds": 1.0, "max_delay_seconds": 30.0, "jitter": 0.0}
    if raw is True:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: schedule.retry must be true, false or an object")
    if raw.get("enabled", True) is False:
        return _retry(None, where)
    retry = {
        "enabled": True,
        "max_attempts": _number(raw, ("max_attempts", "maxAttempts", "attempts"), 3, 1, 10, where, integer=True),
        "base_delay_seconds": _number(raw, ("base_delay_seconds", "baseDelaySeconds", "delay_seconds", "delaySeconds"),
                                      1.0, 0.0, 3600.0, where),
        "max_delay_seconds": _number(raw, ("max_delay_seconds", "maxDelaySeconds"), 30.0, 0.0, 3600.0, where),
        "jitter": _number(raw, ("jitter",), 0.2, 0.0, 0.5, where),
    }
    if retry["max_delay_seconds"] < retry["base_delay_seconds"]:
        raise ConfigError(f"{where}: schedule.retry.max_delay_seconds must be >= base_delay_seconds")
    return retry


def parse(raw, where):
    """A ``schedule`` block checked and completed with FastFN's defaults, or None when it is not
    enabled (FastFN runs only ``"enabled": true``). Raises ConfigError naming the file."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: schedule must be an object")
    if raw.get("enabled") is not True:
        return None
    every = raw.get("every_seconds")
    cron = raw.get("cron")
    if every is not None:
        if isinstance(every, bool) or not isinstance(every, (int, float)) or int(every) < 1:
            raise ConfigError(f"{where}: schedule.every_seconds must be a number of seconds, at least 1")
        every, cron = int(every), None  # FastFN's rule: every_seconds wins over cron
    elif cron is None:
        raise ConfigError(f"{where}: schedule needs every_seconds or cron")
    timezone = raw.get("timezone", raw.get("tz", "local"))
    if not isinstance(timezone, str):
        raise ConfigError(f"{where}: schedule.timezone must be a string")
    try:
        zone = zone_of(timezone)
        if cron is not None and Cron(cron).next_after(datetime.datetime.now().timestamp(), zone) is None:
            raise ValueError(f"cron {cron!r} matches no time in the next two years")
    except ValueError as error:
        raise ConfigError(f"{where}: schedule: {error}") from None
    method = raw.get("method", "GET")
    if not isinstance(method, str):
        raise ConfigError(f"{where}: schedule.method must be a string")
    for name in ("query", "headers", "context"):
        if raw.get(name) is not None and not isinstance(raw[name], dict):
            raise ConfigError(f"{where}: schedule.{name} must be an object")
    body = raw.get("body")
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
    overlap = raw.get("overlap", "queue")
    if overlap not in OVERLAP_POLICIES:
        raise ConfigError(f"{where}: schedule.overlap must be one of {', '.join(OVERLAP_POLICIES)}")
    return {
        "every_seconds": every, "cron": cron, "timezone": timezone, "method": method.upper(),
        "query": raw.get("query") or {}, "headers": raw.get("headers") or {}, "body": body,
        "context": raw.get("context"), "retry": _retry(raw.get("retry"), where), "overlap": overlap,
    }


def plan(spec, schedule, where):
    """What the runtime needs to run ``schedule`` (parsed) against one function's route: the
    request it sends and the ``event.context.trigger`` its function sees."""
    if schedule["method"] not in spec.methods:
        raise ConfigError(f"{where}: schedule.method {schedule['method']} is not one of the methods of "
                          f"{spec.relative_file} ({', '.join(spec.methods)})")
    query = urllib.parse.urlencode(
        [(str(name), value if isinstance(value, str) else json.dumps(value)) for name, value in schedule["query"].items()])
    path = urllib.parse.quote(spec.path)
    trigger = {"type": "schedule"}
    if schedule["every_seconds"]:
        trigger["every_seconds"] = schedule["every_seconds"]
    else:
        trigger["cron"] = schedule["cron"]
    if schedule["timezone"] != "local":
        trigger["timezone"] = schedule["timezone"]
    if schedule["retry"]["enabled"]:
        trigger["max_attempts"] = schedule["retry"]["max_attempts"]
    return {
        "key": f"{schedule['method']} {spec.path}",
        "function": spec.relative_file,
        "runtime": spec.runtime,
        "config": os.path.join(os.path.dirname(spec.relative_file), "fn.config.json"),
        "target": path + ("?" + query if query else ""),
        "headers": [[str(name).lower(), value if isinstance(value, str) else json.dumps(value)]
                    for name, value in schedule["headers"].items()],
        "trigger": trigger,
        "user": schedule["context"],
        "schedule": schedule,
    }


def collect(specs):
    """The schedules of a tree's resolved routes: each folder's ``schedule`` invokes the one
    route of its folder's functions that answers its method and has no parameters."""
    by_config = {}
    for spec in specs:
        where = spec.config.schedule_where
        if where is not None:
            by_config.setdefault(where, (spec.config.schedule, []))[1].append(spec)
    planned = []
    for where, (schedule, candidates) in sorted(by_config.items()):
        if schedule is None:
            continue
        targets = [spec for spec in candidates if schedule["method"] in spec.methods and "{" not in spec.path]
        files = sorted({spec.relative_file for spec in targets})
        if not targets:
            raise ConfigError(f"{where}: schedule: no function of this folder answers {schedule['method']} at a path "
                              f"without parameters")
        if len(files) > 1:
            raise ConfigError(f"{where}: schedule: {len(files)} functions of this folder answer {schedule['method']} "
                              f"({', '.join(files)}); a schedule invokes one: move it to a folder of its own")
        target = min(targets, key=lambda spec: len(spec.path))
        planned.append(plan(target, schedule, where))
    return planned

