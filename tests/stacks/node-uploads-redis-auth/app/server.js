const express = require("express");
const session = require("express-session");
const RedisStore = require("connect-redis").default;
const multer = require("multer");
const { createClient } = require("redis");

const redis = createClient({ url: process.env.REDIS_URL });
const app = express();
app.use(session({ store: new RedisStore({ client: redis }), secret: "uploads", resave: false, saveUninitialized: false }));
app.get("/healthz", (req, res) => res.send("ok"));
app.post("/upload", multer({ dest: process.env.UPLOAD_DIR }).single("image"), (req, res) => res.status(201).json(req.file));
redis.connect().then(() => app.listen(3000));
