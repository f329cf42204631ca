import { describe, expect, test } from "bun:test";
import { FrameQueue } from "../../src/transport/frame-queue.ts";

const frame = (length: number, fill: number): Uint8Array => new Uint8Array(length).fill(fill);

describe("frame queue", () => {
  test("refuses a frame that would exceed the frame or byte bound", () => {
    const byFrames = new FrameQueue(2, 1000);
    expect(byFrames.push(frame(10, 1), 0)).toBe(true);
    expect(byFrames.push(frame(10, 2), 0)).toBe(true);
    expect(byFrames.push(frame(10, 3), 0)).toBe(false);

    const byBytes = new FrameQueue(100, 25);
    expect(byBytes.push(frame(10, 1), 0)).toBe(true);
    expect(byBytes.push(frame(10, 2), 0)).toBe(true);
    expect(byBytes.push(frame(10, 3), 0)).toBe(false);
    // Bytes taken out but not yet written still count.
    expect(new FrameQueue(100, 25).push(frame(10, 1), 20)).toBe(false);
  });

  test("batches small frames into one buffer, in order, up to the batch size", () => {
    const queue = new FrameQueue(100, 10_000);
    for (let i = 0; i < 5; i++) queue.push(frame(10, i), 0);
    const batch = queue.takeBatch(30);
    expect(batch?.frames).toBe(3);
    expect(Array.from(batch?.bytes ?? [])).toEqual([...frame(10, 0), ...frame(10, 1), ...frame(10, 2)]);
    expect(queue.length).toBe(2);
    expect(queue.bytes).toBe(20);
    expect(queue.takeBatch(1000)?.frames).toBe(2);
    expect(queue.takeBatch(1000)).toBeUndefined();
    expect(queue.bytes).toBe(0);
  });

  test("a frame larger than the batch size goes alone, uncopied", () => {
    const queue = new FrameQueue(100, 10_000);
    const big = frame(500, 9);
    queue.push(big, 0);
    queue.push(frame(10, 1), 0);
    const batch = queue.takeBatch(100);
    expect(batch?.frames).toBe(1);
    expect(batch?.bytes).toBe(big);
  });

  test("stays correct across many push/take cycles (compaction)", () => {
    const queue = new FrameQueue(10_000, 1_000_000);
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 300; i++) queue.push(frame(1, next++ % 256), 0);
      for (let i = 0; i < 250; i++) {
        const batch = queue.takeBatch(1);
        expect(batch?.bytes[0]).toBe(expected++ % 256);
      }
    }
    expect(queue.length).toBe(50 * 50);
    expect(queue.clear()).toBe(2500);
    expect(queue.length).toBe(0);
  });
});
