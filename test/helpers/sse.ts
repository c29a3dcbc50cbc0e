/** Reads a server-sent-events stream (the web UI's routes) in tests. */

export type SseEvent = { event: string; data: any };

/**
 * Reads the events of `url` until `until` says stop or the stream ends; `onEvent` sees each as it
 * comes (after it is added to the list). Comment blocks (`:` keep-alives) are skipped; a status
 * other than 200 throws with the body.
 */
export async function readSse(url: string, until: (events: SseEvent[]) => boolean, onEvent?: (e: SseEvent, all: SseEvent[]) => void): Promise<SseEvent[]> {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal });
  if (res.status !== 200) throw new Error(`SSE ${url}: ${res.status} ${await res.text()}`);
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buf = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (block.startsWith(':')) continue;
        const e = { event: /^event: (.*)$/m.exec(block)?.[1] ?? 'message', data: JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null') };
        events.push(e);
        onEvent?.(e, events);
        if (until(events)) return events;
      }
    }
  } finally {
    ac.abort();
  }
  return events;
}
