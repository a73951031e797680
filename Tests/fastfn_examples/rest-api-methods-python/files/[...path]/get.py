# Modelled on rest-api-methods/files/[...path]/get.py: GET /files/* (catch-all)
def handler(event, path):
    segments = path.split("/") if path else []
    return {"status": 200, "body": {"path": path, "segments": segments, "depth": len(segments)}}
