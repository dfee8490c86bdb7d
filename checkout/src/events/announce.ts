// Tell every gate and checkout process that an event's state changed (soldout, or open again
// after units came back), on the same control channel the dashboard uses.
import { publishControl, type Redis } from '@sluice/shared';

export async function announceState(redis: Redis, prefix: string, evt: string, version: number, at: number): Promise<void> {
  await publishControl(redis, prefix, { evt, kind: 'state', version, at });
}
