# Modelled on versioned-api/api/v1/health/index.py: GET /api/v1/health
def handler(event):
    return {"status": 200, "body": {"version": "v1", "status": "healthy"}}
