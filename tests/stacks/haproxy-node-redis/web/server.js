const http = require("http");
const { createClient } = require("redis");

const client = createClient({ socket: { host: process.env.REDIS_HOST, port: Number(process.env.REDIS_PORT) } });

http.createServer(async (req, res) => {
  if (req.url === "/health") return res.end("ok");
  const visits = await client.incr("visits");
  res.end(`${require("os").hostname()}: ${visits} visits\n`);
}).listen(5000, () => client.connect());
