import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplySpin } from '../../src/pool/reply-spin.js';
import { SPIN_MS, spinAllowed } from '../../src/sync/spin.js';

const oneCore = spinAllowed ? false : 'one core: ReplySpin never spins there, by design';
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A poll that finds a reply on its `hitOn`-th call (never when 0), counting calls. */
function fakePoll(hitOn: number) {
  const state = { calls: 0, hitOn };
  return { state, poll: () => ++state.calls === state.hitOn };
}

test('ReplySpin polls, once per turn, right after tasks whose reply is due within a spin', { skip: oneCore }, async () => {
  const { state, poll } = fakePoll(3);
  const spin = new ReplySpin(poll);
  spin.sent(0);
  spin.sent(0);
  assert.equal(state.calls, 0, 'the spin waits for the current turn to end');
  await nextTurn();
  assert.equal(state.calls, 3, 'one spin, ended by the reply it found');
});

test('ReplySpin does not spin for replies expected later than a spin lasts', { skip: oneCore }, async () => {
  const { state, poll } = fakePoll(0);
  const spin = new ReplySpin(poll);
  spin.sent(SPIN_MS);
  spin.sent(Infinity);
  await nextTurn();
  assert.equal(state.calls, 0);
});

test('ReplySpin: an empty spin with a prompt reply keeps spinning; late replies make spins rarer, a prompt one resets', { skip: oneCore }, async () => {
  const { state, poll } = fakePoll(0);
  // A clock of its own, so "prompt" and "late" do not depend on how busy the machine is.
  let clock = 1000;
  const spin = new ReplySpin(poll, () => clock);
  const spins = async (): Promise<boolean> => {
    const before = state.calls;
    spin.sent(0);
    await nextTurn();
    return state.calls > before;
  };
  // Empty, but the reply follows at once: the worker was asleep, not the task long.
  assert.equal(await spins(), true);
  spin.replied();
  assert.equal(await spins(), true);
  // Empty, and the reply comes long after: the next chance is skipped.
  clock += 20 * SPIN_MS;
  spin.replied();
  assert.equal(await spins(), false);
  assert.equal(await spins(), true);
  // Late again: two chances skipped now.
  clock += 20 * SPIN_MS;
  spin.replied();
  assert.deepEqual([await spins(), await spins(), await spins()], [false, false, true]);
  // A spin that finds its reply ends the penalty.
  state.hitOn = state.calls + 1;
  spin.replied();
  assert.equal(await spins(), true);
  assert.equal(await spins(), true);
});
