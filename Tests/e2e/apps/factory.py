from fastapi import FastAPI


def create_app():
    app = FastAPI()

    @app.get("/")
    def root():
        return {"made_by": "factory"}

    return app
