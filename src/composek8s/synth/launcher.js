"use strict";
// jsii's kernel in one Node.js process (synth/node.py, `one_process`).
//
// jsii's own launcher (bin/jsii-runtime.js) starts a second Node.js process for the kernel
// (lib/program.js, beside it), which speaks jsii's protocol on fd 3 with synchronous reads
// and writes. The launcher pipes its stdin and stdout to that fd, and relays what the
// kernel's process prints as JSON lines on its own stderr, which jsii's Python side decodes.
// This file does the same inside the kernel's process: fd 3 is read from stdin and written
// to stdout, and what runs here prints the same JSON lines. One Node.js start instead of
// two: about 60 ms of CPU per run and one process's memory (bench/README.md).
// Written by hand: jsii has no option for it.
const fs = require("fs");
const path = require("path");

const CHANNEL = 3;
const readSync = fs.readSync;
const writeSync = fs.writeSync;

fs.readSync = function (fd, ...rest) {
  return readSync.call(fs, fd === CHANNEL ? 0 : fd, ...rest);
};
fs.writeSync = function (fd, ...rest) {
  return writeSync.call(fs, fd === CHANNEL ? 1 : fd, ...rest);
};

// Whole lines, written synchronously; a full pipe (EAGAIN: Node made it non-blocking) is
// waited on, as the kernel's own writes do.
const pause = new Int32Array(new SharedArrayBuffer(4));
function writeAll(fd, data) {
  for (let done = 0; done < data.length; ) {
    try {
      done += writeSync.call(fs, fd, data, done);
    } catch (error) {
      if (error.code !== "EAGAIN") throw error;
      Atomics.wait(pause, 0, 0, 5);
    }
  }
}

function relay(key) {
  return function write(chunk, encoding, callback) {
    if (typeof encoding === "function") {
      callback = encoding;
      encoding = undefined;
    }
    const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, encoding);
    writeAll(2, Buffer.from(JSON.stringify({ [key]: data.toString("base64") }) + "\n"));
    if (callback) process.nextTick(callback);
    return true;
  };
}
process.stdout.write = relay("stdout");
process.stderr.write = relay("stderr");

require(path.join(__dirname, "..", "lib", "program.js"));
