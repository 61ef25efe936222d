const express = require("express");
const { createClient } = require("redis");

const redis = createClient({ url: process.env.REDIS_URL });
const app = express();
app.get("/views", async (req, res) => res.json({ views: await redis.incr("views") }));
redis.connect().then(() => app.listen(Number(process.env.PORT)));
