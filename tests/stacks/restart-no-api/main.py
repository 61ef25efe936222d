from fastapi import FastAPI

app = FastAPI()
notes: list[str] = []


@app.get("/notes")
def list_notes() -> list[str]:
    return notes


@app.post("/notes", status_code=201)
def add_note(text: str) -> str:
    notes.append(text)
    return text
