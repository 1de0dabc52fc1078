/**
 * Every kind of shared object the broker can hold, by the tag its handles carry.
 *
 * @module
 */
import { barrierState } from './barrier-state.js';
import { arrayState, dictState, listState, namespaceState, valueState } from './container-states.js';
import { lockState, rlockState } from './lock-state.js';
import { CONNECTION_TAG, pipeEndState } from './pipe-state.js';
import { queueState } from './queue-state.js';
import type { BrokerProtocol } from './ops.js';
import type { MakeState, StateFactory } from './state.js';
import { conditionState, eventState, semaphoreState } from './sync-states.js';

/** Each tag's state serves the operations `ops.ts` lists for that tag: a mismatch does not compile. */
const FACTORIES: { readonly [K in keyof BrokerProtocol]: StateFactory<BrokerProtocol[K]> } = {
  'mp.Queue': queueState,
  'mp.JoinableQueue': queueState,
  'mp.SimpleQueue': queueState,
  [CONNECTION_TAG]: pipeEndState,
  'mp.Lock': lockState,
  'mp.RLock': rlockState,
  'mp.Semaphore': semaphoreState,
  'mp.BoundedSemaphore': semaphoreState,
  'mp.Event': eventState,
  'mp.Condition': conditionState,
  'mp.Barrier': barrierState,
  'mp.Value': valueState,
  'mp.Array': arrayState,
  'mp.dict': dictState,
  'mp.list': listState,
  'mp.Namespace': namespaceState,
};

/** Tag → factory of the broker-side state. */
export const STATE_FACTORIES: ReadonlyMap<string, MakeState> = new Map<string, MakeState>(Object.entries(FACTORIES));
