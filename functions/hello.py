"""GET /hello: an event handler (FastFN's contract); a dict becomes JSON."""


def handler(event):
    return {"hello": event["query"].get("name", "world"), "runtime": "python"}
