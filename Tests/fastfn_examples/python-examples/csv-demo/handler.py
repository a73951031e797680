# Modelled on examples/functions/python/csv-demo: GET /csv-demo returns text/csv.
def handler(event):
    name = (event.get("query") or {}).get("name", "world")
    rows = [["id", "name", "runtime"], ["1", name, "python"]]
    return {"status": 200, "headers": {"Content-Type": "text/csv; charset=utf-8"},
            "body": "\n".join(",".join(row) for row in rows) + "\n"}
