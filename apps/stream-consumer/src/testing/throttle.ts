import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient, PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';

/**
 * kinesalite never throttles, so a real ProvisionedThroughputExceededException cannot be
 * provoked locally. This wraps the REAL client's send (the request still goes to kinesalite)
 * and rewrites the result of chosen entries into the error AWS returns under throttling, after
 * dropping those entries from the request so the stream only holds what "succeeded".
 */
export function throttleSomeEntries(client: KinesisClient, shouldThrottle: (data: string, call: number) => boolean) {
  const send = client.send.bind(client);
  let calls = 0;
  const sent: string[][] = [];
  client.send = (async (command: unknown) => {
    if (!(command instanceof PutRecordsCommand)) return send(command as never);
    calls += 1;
    const records = command.input.Records ?? [];
    const texts = records.map((record) => Buffer.from(record.Data!).toString('utf8'));
    sent.push(texts);
    const throttled = texts.map((text) => shouldThrottle(text, calls));
    const passing = records.filter((_, i) => !throttled[i]);
    const real = passing.length > 0 ? await send(new PutRecordsCommand({ ...command.input, Records: passing })) : { Records: [] };
    let k = 0;
    const results = records.map((_, i) =>
      throttled[i]
        ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard shardId-000000000000' }
        : real.Records![k++]!,
    );
    return { $metadata: {}, FailedRecordCount: throttled.filter(Boolean).length, Records: results } satisfies PutRecordsCommandOutput;
  }) as typeof client.send;
  return { sent };
}

