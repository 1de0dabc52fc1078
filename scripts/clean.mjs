// Removes build output so a rename in src/ never leaves a stale file in dist/.
import { rmSync } from 'node:fs';

for (const dir of process.argv.slice(2)) rmSync(dir, { recursive: true, force: true });
