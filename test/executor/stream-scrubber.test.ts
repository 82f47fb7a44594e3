import { describe, expect, it } from 'vitest';
import { REDACTED, Scrubber, StreamScrubber } from '../../src/executor/index.js';

const SECRET = 'sk-CANARYstream0000000000000000000000001';
const scrubber = new Scrubber([SECRET], [`Bearer ${SECRET}`]);

/** Feeds `chunks` through a stream scrubber and returns what came out, and after which chunk. */
function run(chunks: string[], events = false): { out: string; emitted: string[] } {
  const stream = new StreamScrubber(scrubber, events);
  const emitted = chunks.map((chunk) => stream.push(Buffer.from(chunk, 'utf8')).toString('utf8'));
  const out = emitted.join('') + stream.end().toString('utf8');
  return { out, emitted };
}

describe('StreamScrubber', () => {
  const text = `{"echo":"${SECRET}","b64":"${Buffer.from(SECRET).toString('base64')}","pct":"${encodeURIComponent(`a/${SECRET}`)}"}`;

  it.each(Array.from({ length: text.length - 1 }, (_, i) => i + 1))(
    'scrubs every form when the body is cut in two at offset %i',
    (offset) => {
      const { out } = run([text.slice(0, offset), text.slice(offset)]);
      expect(out).not.toContain(SECRET);
      expect(out).not.toContain(Buffer.from(SECRET).toString('base64').slice(0, 20));
      expect(scrubber.finds(out)).toBe(false);
      expect(out).toBe(scrubber.scrub(text));
    },
  );

  it('scrubs a secret sent one byte per chunk', () => {
    const { out } = run([...`before ${SECRET} after`]);
    expect(out).toBe(`before ${REDACTED} after`);
  });

  it('passes bytes that are not text through unchanged', () => {
    const bytes = Buffer.from([0, 255, 128, 10, 13, 0xc3, 0x28, 0xf0, 0x90]);
    const stream = new StreamScrubber(scrubber);
    const out = Buffer.concat([stream.push(bytes), stream.end()]);
    expect(out.equals(bytes)).toBe(true);
  });

  it('sends a server-sent event as soon as it ends, and holds none of it back', () => {
    const event = 'data: {"choices":[{"delta":{"content":"Hel"}}]}\n\n';
    const { emitted } = run([event, 'data: {"choices":[{"delta":{"content":"lo"}}]}\n\n'], true);
    expect(emitted[0]).toBe(event);
  });

  it('holds a tail that could be a secret still arriving when the stream is not events', () => {
    const { emitted, out } = run([`x ${SECRET.slice(0, 10)}`, `${SECRET.slice(10)} y`]);
    expect(emitted[0]).not.toContain(SECRET.slice(0, 10));
    expect(out).toBe(`x ${REDACTED} y`);
  });

  it('scrubs a secret split across two events of a stream', () => {
    const { out } = run([`data: ${SECRET.slice(0, 12)}`, `${SECRET.slice(12)}\n\n`], true);
    expect(out).toBe(`data: ${REDACTED}\n\n`);
  });
});
