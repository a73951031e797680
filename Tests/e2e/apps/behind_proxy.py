"""An app behind a TLS-terminating proxy: what it sees of the client and the URL."""
from fastapi import FastAPI, Request
from fastapi.middleware.httpsredirect import HTTPSRedirectMiddleware

app = FastAPI()


@app.get("/who")
def who(request: Request):
    return {"scheme": request.url.scheme, "client": request.client.host, "port": request.client.port,
            "url": str(request.url_for("who"))}


secure = FastAPI()
secure.add_middleware(HTTPSRedirectMiddleware)


@secure.get("/who")
def secure_who(request: Request):
    return {"scheme": request.url.scheme}
