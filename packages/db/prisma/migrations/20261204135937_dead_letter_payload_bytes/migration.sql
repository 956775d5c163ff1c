-- AlterTable
-- Hand-edited from Prisma's DROP + ADD COLUMN so existing dead letters keep their payload:
-- text payloads become their UTF-8 bytes, and the old `base64:<...>` form (used for data that
-- was not valid UTF-8 or held NUL) becomes the bytes it encoded.
ALTER TABLE "dead_letters" ALTER COLUMN "payload" SET DATA TYPE BYTEA USING (
  CASE
    WHEN "payload" LIKE 'base64:%' THEN decode(substr("payload", 8), 'base64')
    ELSE convert_to("payload", 'UTF8')
  END
);
