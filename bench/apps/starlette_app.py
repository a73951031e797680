"""The peer matrix's four endpoints as a plain Starlette app (no FastAPI): what Apus's ASGI path
serves, against the same app on uvicorn and Granian."""
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route


async def plaintext(request):
    return PlainTextResponse("Hello, World!")


async def json_(request):
    return JSONResponse({"message": "Hello, World!"})


async def read_item(request):
    return JSONResponse({"item_id": request.path_params["item_id"], "q": request.query_params.get("q")})


async def create_item(request):
    item = await request.json()
    return JSONResponse({"name": item["name"], "price": float(item["price"]), "tags": item.get("tags", [])})


app = Starlette(routes=[
    Route("/plaintext", plaintext),
    Route("/json", json_),
    Route("/items/{item_id:int}", read_item),
    Route("/items", create_item, methods=["POST"]),
])
