// Inputs that could not be scored or stored, kept with their raw bytes and reason. The one home
// of dead-letter SQL: the stream consumer (poison records) and the history writer (rows Postgres
// refused) both write through recordDeadLetters.
import type { TSqlClient } from './history';

export type TDeadLetterInput = {
  /** `stream` (a poison record) or `online` (a prediction whose history row was refused). */
  source: string;
  streamName?: string | null;
  shardId?: string | null;
  sequenceNumber?: string | null;
  /** The raw bytes as received; a string is stored as its UTF-8 bytes. Kept as bytea, so NUL and invalid UTF-8 are safe. */
  payload: Uint8Array | string;
  reason: string;
};

/**
 * Postgres text cannot hold U+0000 (it refuses the whole statement): text we store for people to
 * read (reasons, ids kept for finding a rejection) shows it as the JSON escape `\u0000` instead.
 */
export function toStorableText(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\\u0000') : text;
}

const INSERT_DEAD_LETTERS = `
INSERT INTO dead_letters (source, stream_name, shard_id, sequence_number, payload, reason)
SELECT source, stream_name, shard_id, sequence_number, payload, reason
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[])
  AS input(source, stream_name, shard_id, sequence_number, payload, reason)
ON CONFLICT (source, stream_name, shard_id, sequence_number) DO NOTHING`;

/**
 * Keeps each input aside once, in one statement (raw SQL on any pg client, so the consumer's hot
 * path needs no Prisma client): a redelivered stream record (same source, stream, shard and
 * sequence number) is not stored twice. Payloads go in as bytea, exactly as received; reasons
 * and positions are made storable (`toStorableText`), so no input can make this statement fail. Returns how
 * many letters were new.
 */
export async function recordDeadLetters(
  sql: TSqlClient,
  letters: readonly TDeadLetterInput[],
): Promise<number> {
  if (letters.length === 0) return 0;
  const result = await sql.query(INSERT_DEAD_LETTERS, [
    letters.map((letter) => letter.source),
    letters.map((letter) => storableOrNull(letter.streamName)),
    letters.map((letter) => storableOrNull(letter.shardId)),
    letters.map((letter) => storableOrNull(letter.sequenceNumber)),
    letters.map((letter) =>
      typeof letter.payload === 'string'
        ? Buffer.from(letter.payload, 'utf8')
        : Buffer.from(letter.payload.buffer, letter.payload.byteOffset, letter.payload.byteLength),
    ),
    letters.map((letter) => toStorableText(letter.reason)),
  ]);
  return result.rowCount ?? 0;
}

function storableOrNull(text: string | null | undefined): string | null {
  return text == null ? null : toStorableText(text);
}
