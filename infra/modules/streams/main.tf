# The two Kinesis streams of the course (ride_events in, ride_predictions out)
# and the dead-letter queue that receives what the consumer gives up on.

locals {
  streams = {
    ride_events      = var.ride_events_shard_count
    ride_predictions = var.ride_predictions_shard_count
  }
}

resource "aws_kinesis_stream" "this" {
  for_each = local.streams

  name             = "${var.name}-${each.key}"
  shard_count      = each.value
  retention_period = var.retention_hours

  stream_mode_details {
    stream_mode = "PROVISIONED" # predictable cost at low volume; raise shard counts as traffic grows
  }

  # The AWS-managed key: encryption at rest with no key policy to manage, and
  # producers/consumers need no extra KMS permissions.
  encryption_type = "KMS"
  kms_key_id      = "alias/aws/kinesis"

  tags = { Component = "streams", Stream = each.key }
}

# On-failure destination of the Lambda's event source mapping: Lambda sends the
# batch's metadata (shard, sequence numbers) here once retries are exhausted,
# so nothing is lost silently. Redrive reads the records back from the stream.
resource "aws_sqs_queue" "dead_letter" {
  name                      = "${var.name}-consumer-dlq"
  message_retention_seconds = 1209600 # 14 days, the SQS maximum
  sqs_managed_sse_enabled   = true

  tags = { Component = "streams" }
}

data "aws_iam_policy_document" "dead_letter_tls_only" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.dead_letter.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "dead_letter" {
  queue_url = aws_sqs_queue.dead_letter.id
  policy    = data.aws_iam_policy_document.dead_letter_tls_only.json
}

# A ready-made policy for whatever produces ride events (a backend service, the
# course's `put-record` script): it may put records on ride_events and nothing else.
data "aws_iam_policy_document" "producer" {
  statement {
    sid       = "PutRideEvents"
    actions   = ["kinesis:PutRecord", "kinesis:PutRecords", "kinesis:DescribeStreamSummary"]
    resources = [aws_kinesis_stream.this["ride_events"].arn]
  }
}

resource "aws_iam_policy" "producer" {
  name        = "${var.name}-ride-events-producer"
  description = "Attach to producers of ride events: put records on ${aws_kinesis_stream.this["ride_events"].name} only."
  policy      = data.aws_iam_policy_document.producer.json
}
