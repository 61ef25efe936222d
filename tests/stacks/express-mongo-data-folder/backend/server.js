const express = require("express");
const mongoose = require("mongoose");

const Todo = mongoose.model("Todo", new mongoose.Schema({ text: String, done: Boolean }));
const app = express();
app.use(express.json());
app.get("/api/todos", async (req, res) => res.json(await Todo.find()));
app.post("/api/todos", async (req, res) => res.status(201).json(await Todo.create(req.body)));

mongoose.connect(process.env.MONGODB_URI).then(() => app.listen(3000));
