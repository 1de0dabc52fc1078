// The raw worker_threads floor: answer each message with one message, nothing else.

import { parentPort } from 'node:worker_threads';
import { handleRaw, type RawRequest } from './raw-protocol.js';

const port = parentPort;
if (port === null) throw new Error('raw-thread-worker must run in a worker thread');
port.on('message', (message: RawRequest) => {
  port.postMessage(handleRaw(message));
});
