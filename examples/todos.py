"""A router of the example app: a small todo API with a `yield` dependency standing in for a
database session, and models for input and output."""
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field


class TodoIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    done: bool = False


class Todo(TodoIn):
    id: int


class Store:
    """In memory; a real app would open a database session here."""

    def __init__(self):
        self.todos: dict[int, Todo] = {}
        self.next_id = 1


STORE = Store()


def session():
    # Opened per request, closed after the response: FastAPI's `yield` dependency.
    yield STORE


Session = Annotated[Store, Depends(session)]
router = APIRouter(prefix="/todos", tags=["todos"])


@router.get("/")
def list_todos(db: Session, done: bool | None = None) -> list[Todo]:
    return [todo for todo in db.todos.values() if done is None or todo.done == done]


@router.post("/", status_code=201)
def create_todo(todo: TodoIn, db: Session) -> Todo:
    created = Todo(id=db.next_id, **todo.model_dump())
    db.todos[created.id] = created
    db.next_id += 1
    return created


@router.get("/{todo_id}")
def read_todo(todo_id: int, db: Session) -> Todo:
    if todo_id not in db.todos:
        raise HTTPException(status_code=404, detail="Todo not found")
    return db.todos[todo_id]


@router.delete("/{todo_id}", status_code=204)
def delete_todo(todo_id: int, db: Session) -> None:
    if db.todos.pop(todo_id, None) is None:
        raise HTTPException(status_code=404, detail="Todo not found")
