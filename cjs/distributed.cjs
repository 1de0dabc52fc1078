// `require('concurrent-ts/distributed')` lands here: the entry is an ES module that loads its
// optional peers (bullmq, ioredis) with a top-level await, which require() cannot wait for.
'use strict';
const error = new Error(
  "concurrent-ts/distributed is an ES module only: load it with `await import('concurrent-ts/distributed')` " +
  "(or `import … from 'concurrent-ts/distributed'` in an ES module). It needs the optional peers: npm install bullmq@6 ioredis@5",
);
error.code = 'ERR_REQUIRE_ASYNC_MODULE';
throw error;
