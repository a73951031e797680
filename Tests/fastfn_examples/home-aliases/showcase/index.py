# Modelled on docs/en/how-to/zero-config-routing.md ("Root home behavior"): the root
# fn.config.json's home.route runs GET /showcase for /.
def handler(event):
    return {"page": "showcase", "runtime": "python", "path": event.get("path")}
