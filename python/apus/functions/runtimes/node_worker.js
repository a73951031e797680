// A Node worker of the Apus functions server: loads the function files it is given (the Node
// files of one folder, which share this process as FastFN's Node runtime shares one), then
// answers request frames (4-byte big-endian length + JSON, naming the file in "fn") from
// descriptor 3 with reply frames on descriptor 4, several at once. stdout and stderr are the
// functions' own (console.log), logged by the server.
'use strict';
const net = require('net');
const path = require('path');
const util = require('util');
const { AsyncLocalStorage } = require('async_hooks');

const [handlerName, ...files] = process.argv.slice(2);
const replies = new net.Socket({ fd: 4, readable: false, writable: true });

// Replies of one turn of the event loop go out in one write (one wake-up of the server).
let corked = false;

function send(message) {
  const payload = Buffer.from(JSON.stringify(message), 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length, 0);
  if (!corked) {
    corked = true;
    replies.cork();
    process.nextTick(() => {
      corked = false;
      replies.uncork();
    });
  }
  replies.write(header);
  replies.write(payload);
}

// Where several functions share the process, what each prints is marked with its file's name
// (the server logs the process's output under the folder's name).
const running = new AsyncLocalStorage();
if (files.length > 1) {
  for (const method of ['log', 'info', 'debug', 'warn', 'error']) {
    const original = console[method].bind(console);
    console[method] = (...args) => {
      const file = running.getStore();
      if (!file) return original(...args);
      const tag = `[${path.basename(file)}] `;
      return original(util.format(...args).split('\n').map((line) => tag + line).join('\n'));
    };
  }
}

function load(file) {
  const mod = running.run(file, () => require(path.resolve(file)));
  const candidates = [mod && mod[handlerName], mod && mod.default && mod.default[handlerName]];
  if (handlerName === 'handler') candidates.push(mod && mod.main, typeof mod === 'function' ? mod : undefined);
  const handler = candidates.find((c) => typeof c === 'function');
  if (!handler) throw new Error(`${file} exports no function ${handlerName}()`);
  return handler;
}

const ENVELOPE = ['status', 'statusCode', 'headers', 'body', 'is_base64', 'isBase64Encoded', 'body_base64'];

function looksLikeHTML(text) {
  const head = text.trimStart().slice(0, 64).toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html') || text.includes('<body') || text.includes('</html>');
}

function textType(text) {
  return looksLikeHTML(text) ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8';
}

function lowerHeaders(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers || {})) {
    out[name.toLowerCase()] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return out;
}

// What a handler returned, as FastFN's Node runtime answers it.
function normalize(result) {
  if (result === null || result === undefined) return { status: 200, headers: {}, body: '' };
  if (Buffer.isBuffer(result) || result instanceof Uint8Array) {
    return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from(result).toString('base64'), is_base64: true };
  }
  if (typeof result === 'string') return { status: 200, headers: { 'content-type': textType(result) }, body: result };
  if (typeof result !== 'object' || !ENVELOPE.some((key) => key in result)) {
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result) };
  }
  const status = result.status ?? result.statusCode ?? 200;
  if (!Number.isInteger(status) || status < 100 || status > 599) throw new Error(`invalid status ${status}`);
  const headers = lowerHeaders(result.headers);
  if (result.is_base64 && typeof result.body_base64 === 'string') return { status, headers, body: result.body_base64, is_base64: true };
  let body = result.body;
  if (result.isBase64Encoded && typeof body === 'string') return { status, headers, body, is_base64: true };
  if (body === null || body === undefined) return { status, headers, body: '' };
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) return { status, headers, body: Buffer.from(body).toString('base64'), is_base64: true };
  if (typeof body !== 'string') {
    if (!headers['content-type']) headers['content-type'] = 'application/json';
    body = JSON.stringify(body);
  }
  return { status, headers, body };
}

async function answer(request) {
  const { id, event } = request;
  const file = request.fn === undefined ? files[0] : request.fn;
  const handler = handlers.get(file);
  if (!handler) {
    send({ id, error: failed[file] || `${file} is not one of this worker's functions`, unavailable: true });
    return;
  }
  try {
    const call = () => (handler.length > 1 ? handler(event, event.params || {}) : handler(event));
    // Only a shared process tags what a handler prints (`running`); one file runs plainly.
    const result = await (files.length > 1 ? running.run(file, call) : call());
    send({ id, ...normalize(result) });
  } catch (error) {
    send({ id, error: (error && error.stack) || String(error) });
  }
}

// Each file loads on its own: one that does not load answers "unavailable", the rest serve.
const handlers = new Map();
const failed = {};
for (const file of files) {
  try {
    handlers.set(file, load(file));
  } catch (error) {
    failed[file] = (error && error.stack) || String(error);
  }
}
if (handlers.size === 0) {
  send({ ready: false, error: failed[files[0]] || 'no function to load' });
  replies.end(() => process.exit(1));
  return;
}
send(Object.keys(failed).length ? { ready: true, failed } : { ready: true });

const requests = new net.Socket({ fd: 3, readable: true, writable: false });
let buffered = Buffer.alloc(0);
requests.on('data', (chunk) => {
  buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
  while (buffered.length >= 4) {
    const length = buffered.readUInt32BE(0);
    if (buffered.length < 4 + length) break;
    const frame = buffered.subarray(4, 4 + length);
    buffered = buffered.subarray(4 + length);
    answer(JSON.parse(frame.toString('utf8')));
  }
});
// The server closes the request pipe to retire this worker.
requests.on('end', () => replies.end(() => process.exit(0)));
