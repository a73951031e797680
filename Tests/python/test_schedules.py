"""``apus.functions.schedules``: the schedule block as the tree's loader reads it, and the cron
arithmetic the runtime asks for."""
import datetime
import json
import os
import sys
import zoneinfo

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))

import pytest  # noqa: E402

from apus.functions import schedules  # noqa: E402
from apus.functions.config import ConfigError  # noqa: E402
from apus.functions.discovery import discover  # noqa: E402

UTC = datetime.timezone.utc


def at(text, zone=UTC):
    return datetime.datetime.fromisoformat(text).replace(tzinfo=zone).timestamp()


def next_time(cron, after, zone=UTC):
    return datetime.datetime.fromtimestamp(schedules.Cron(cron).next_after(at(after, zone), zone), zone).isoformat()


def test_five_fields_start_at_second_zero_and_six_fields_have_seconds():
    assert next_time("*/15 * * * *", "2026-03-01T10:07:30") == "2026-03-01T10:15:00+00:00"
    assert next_time("*/20 * * * * *", "2026-03-01T10:07:30") == "2026-03-01T10:07:40+00:00"


def test_macros_names_ranges_and_steps():
    assert next_time("@hourly", "2026-03-01T10:07:30") == "2026-03-01T11:00:00+00:00"
    assert next_time("@daily", "2026-03-01T10:07:30") == "2026-03-02T00:00:00+00:00"
    assert next_time("@weekly", "2026-03-04T10:00:00") == "2026-03-08T00:00:00+00:00"  # a Sunday
    assert next_time("@yearly", "2026-03-01T10:00:00") == "2027-01-01T00:00:00+00:00"
    assert next_time("0 9 * JAN-MAR MON-FRI", "2026-03-06T10:00:00") == "2026-03-09T09:00:00+00:00"
    assert next_time("0 0 * * 7", "2026-03-02T00:00:00") == "2026-03-08T00:00:00+00:00"  # 7 is Sunday
    assert next_time("30 5-1 * * *", "2026-03-01T00:00:00") == "2026-03-01T01:30:00+00:00"  # reversed range
    assert next_time("0 0 */10 * *", "2026-03-02T00:00:00") == "2026-03-11T00:00:00+00:00"


def test_day_of_month_and_day_of_week_restricted_both_match_either():
    # the 13th, or any Friday: Friday 6 March comes first.
    assert next_time("0 0 13 * FRI", "2026-03-01T00:00:00") == "2026-03-06T00:00:00+00:00"


def test_zones_read_the_fields_as_their_wall_clock():
    madrid = zoneinfo.ZoneInfo("Europe/Madrid")
    assert next_time("0 9 * * *", "2026-03-01T10:00:00", madrid) == "2026-03-02T09:00:00+01:00"
    plus = schedules.zone_of("+05:30")
    assert next_time("0 9 * * *", "2026-03-01T10:00:00", plus) == "2026-03-02T09:00:00+05:30"
    # Madrid skips 02:00-03:00 on 29 March 2026: a 02:30 run falls on the next day's.
    assert next_time("30 2 * * *", "2026-03-29T00:00:00", madrid) in ("2026-03-29T03:30:00+02:00", "2026-03-30T02:30:00+02:00")
    # ... and repeats 02:00-03:00 on 25 October: a 02:30 run happens once.
    first = schedules.Cron("30 2 * * *").next_after(at("2026-10-25T00:00:00", madrid), madrid)
    second = schedules.Cron("30 2 * * *").next_after(first, madrid)
    assert second - first > 23 * 3600


def test_next_run_aligns_intervals_to_the_epoch_and_answers_text():
    block = json.dumps(schedules.parse({"enabled": True, "every_seconds": 60}, "fn.config.json"))
    assert schedules.next_run(block, "1000030.5") == "1000080"
    cron = json.dumps(schedules.parse({"enabled": True, "cron": "0 0 1 1 *", "timezone": "UTC"}, "fn.config.json"))
    assert schedules.next_run(cron, str(at("2026-06-01T00:00:00"))) == str(int(at("2027-01-01T00:00:00")))


@pytest.mark.parametrize("block, message", [
    ({"enabled": True}, "needs every_seconds or cron"),
    ({"enabled": True, "every_seconds": 0}, "at least 1"),
    ({"enabled": True, "cron": "* * *"}, "5 or 6 fields"),
    ({"enabled": True, "cron": "61 * * * *"}, "minute: '61' is not in 0-59"),
    ({"enabled": True, "cron": "@sometimes"}, "unknown cron macro"),
    ({"enabled": True, "cron": "0 0 30 2 *"}, "matches no time"),
    ({"enabled": True, "cron": "* * * * *", "timezone": "Mars/Olympus"}, "known IANA zone"),
    ({"enabled": True, "every_seconds": 5, "overlap": "parallel"}, "overlap must be one of"),
    ({"enabled": True, "every_seconds": 5, "retry": {"base_delay_seconds": 10, "max_delay_seconds": 5}}, ">= base_delay"),
    ({"enabled": True, "every_seconds": 5, "query": []}, "query must be an object"),
])
def test_a_schedule_that_cannot_run_stops_the_load_with_its_file(block, message):
    with pytest.raises(ConfigError) as error:
        schedules.parse(block, "jobs/fn.config.json")
    assert str(error.value).startswith("jobs/fn.config.json: ")
    assert message in str(error.value)


def test_defaults_are_fastfns():
    assert schedules.parse({"every_seconds": 5}, "x") is None  # FastFN runs only "enabled": true
    block = schedules.parse({"enabled": True, "cron": "@daily", "retry": True}, "x")
    assert block["timezone"] == "local" and block["method"] == "GET" and block["overlap"] == "queue"
    assert block["retry"] == {"enabled": True, "max_attempts": 3, "base_delay_seconds": 1.0, "max_delay_seconds": 30.0,
                              "jitter": 0.2}
    assert schedules.parse({"enabled": True, "every_seconds": 5, "cron": "@daily"}, "x")["cron"] is None


def write(root, files):
    for relative, text in files.items():
        path = os.path.join(root, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as file:
            file.write(text)


def test_a_schedule_is_its_folders_own_and_reaches_zero_config_files(tmp_path):
    write(tmp_path, {
        "fn.config.json": '{"timeout_ms": 1000}',
        "reports/fn.config.json": '{"schedule": {"enabled": true, "every_seconds": 60, "query": {"kind": "daily"},'
                                  ' "headers": {"X-Run": "yes"}, "context": {"team": "ops"}}}',
        "reports/daily.py": "def handler(event): return {}\n",
        "reports/archive/old.py": "def handler(event): return {}\n",
    })
    planned = schedules.collect(discover(str(tmp_path)).specs)
    assert len(planned) == 1, "the folder below does not inherit the schedule"
    run = planned[0]
    assert run["key"] == "GET /reports/daily"
    assert run["target"] == "/reports/daily?kind=daily"
    assert run["headers"] == [["x-run", "yes"]]
    assert run["user"] == {"team": "ops"}
    assert run["trigger"] == {"type": "schedule", "every_seconds": 60}
    assert run["config"] == "reports/fn.config.json"


def test_a_folder_with_two_functions_for_the_method_is_refused(tmp_path):
    write(tmp_path, {
        "jobs/fn.config.json": '{"schedule": {"enabled": true, "every_seconds": 60}}',
        "jobs/a.py": "def handler(event): return {}\n",
        "jobs/b.js": "exports.handler = async () => ({})\n",
    })
    with pytest.raises(ConfigError, match=r"2 functions of this folder answer GET \(jobs/a.py, jobs/b.js\)"):
        schedules.collect(discover(str(tmp_path)).specs)


def test_the_method_must_be_one_the_function_answers(tmp_path):
    write(tmp_path, {
        "sync/fn.config.json": '{"schedule": {"enabled": true, "every_seconds": 60, "method": "POST"}}',
        "sync/get.py": "def handler(event): return {}\n",
    })
    with pytest.raises(ConfigError, match="no function of this folder answers POST"):
        schedules.collect(discover(str(tmp_path)).specs)


def test_a_named_function_is_invoked_at_its_own_path(tmp_path):
    write(tmp_path, {
        "node/cleanup/fn.config.json": '{"schedule": {"enabled": true, "cron": "*/5 * * * *", "timezone": "UTC",'
                                       ' "method": "POST", "body": {"all": true}}, "invoke": {"methods": ["POST"]}}',
        "node/cleanup/handler.js": "exports.handler = async () => ({})\n",
    })
    [run] = schedules.collect(discover(str(tmp_path)).specs)
    assert run["key"] == "POST /cleanup"
    assert run["schedule"]["body"] == '{"all": true}'
    assert run["trigger"] == {"type": "schedule", "cron": "*/5 * * * *", "timezone": "UTC"}
