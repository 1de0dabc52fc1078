// The raw child_process.fork floor: answer each IPC message with one message.
// The parent forks with serialization: 'advanced' (structured clone over the pipe).

import { handleRaw, type RawRequest } from './raw-protocol.js';

const send = process.send?.bind(process);
if (send === undefined) throw new Error('raw-fork-child must be started with child_process.fork');
process.on('message', (message: RawRequest) => {
  send(handleRaw(message));
});
// The parent ends us by closing the channel.
process.on('disconnect', () => process.exit(0));
