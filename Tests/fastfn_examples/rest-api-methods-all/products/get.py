# Modelled on rest-api-methods run without FN_RUNTIMES: products/get.* exists in every runtime.
def handler(event):
    return {"runtime": "python"}
