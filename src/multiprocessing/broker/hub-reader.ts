/**
 * What the broker knows about one reader of a channel in another thread (`channel-hub.ts`): its
 * credit, what was pushed to it and not taken yet, and what is dedicated to it alone (items of
 * producers that send to it directly, and their marks).
 *
 * @module
 */
import { RingQueue } from '../../core/ring-queue.js';
import type { Item } from '../channel/items.js';
import type { BrokerClient } from './client.js';
import type { BrokerEvent } from './ops.js';

/** A mark in a reader's dedicated queue: an event to send in order with the items. */
interface Marker {
  readonly event: BrokerEvent;
}

export type Entry = Item | Marker;

export function isMarker(entry: Entry): entry is Marker {
  return (entry as Marker).event !== undefined;
}

/** A reader in another thread. */
export class Reader {
  /** How many items ahead of its waiting gets it wants (its credit is `pending + window`). */
  window = 0;
  /** Gets (and polls) waiting at the reader, as it last said. */
  pending = 0;
  /** Order of hunger: set when it became hungry (0: not hungry). */
  stamp = 0;
  /** Stream numbers handed out (the next item pushed gets `pushed`). */
  pushed = 0;
  /** Every item numbered below `prefix` was taken. */
  prefix = 0;
  /** Items taken out of order, numbered `prefix` or above. */
  readonly extras = new Set<number>();
  readonly outstanding = new RingQueue<{ readonly n: number; readonly item: Item }>(16);
  /** Entries dedicated to this reader (items of producers that switched to it, and their marks). */
  readonly dedicated = new RingQueue<Entry>(8);
  /** Origins whose items arriving at the store are dedicated to this reader. */
  readonly origins = new Set<string>();
  /** Origins that ever sent to this reader directly, and the last fence sent for each. */
  readonly fences = new Map<string, number>();
  /** What to send at the end of this pump, in order: items (with their numbers) and events. */
  out: Array<{ readonly n: number; readonly item: Item } | BrokerEvent> = [];
  eofSent = false;

  constructor(readonly client: BrokerClient, readonly inbox: string | null) {}

  get key(): string {
    return this.client.thread.key;
  }

  get unconsumed(): number {
    return this.pushed - this.prefix - this.extras.size;
  }

  get hungry(): boolean {
    return this.unconsumed < this.pending;
  }

  /** Dedicated items not sent yet (marks excluded). */
  held = 0;

  /** Queues an item (or a mark) for this reader alone. */
  dedicate(entry: Entry): void {
    this.dedicated.push(entry);
    if (!isMarker(entry)) this.held++;
  }
}

