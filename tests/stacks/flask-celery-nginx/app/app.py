import os

from celery import Celery
from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
db = SQLAlchemy(app)
celery = Celery(app.name, broker=os.environ["CELERY_BROKER_URL"], backend=os.environ["CELERY_RESULT_BACKEND"])


@celery.task
def add(x, y):
    return x + y


@app.get("/health")
def health():
    return "ok"


@app.post("/add/<int:x>/<int:y>")
def enqueue(x, y):
    return jsonify(task=add.delay(x, y).id), 202
