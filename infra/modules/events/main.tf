# The platform's own EventBridge bus: other applications subscribe to what
# Tripcast announces (a rule on this bus), starting with the scorer's
# "Batch run finished" event (source tripcast.scorer), sent when a run
# succeeds or fails. A bus of its own keeps those rules apart from the
# account's default bus and lets a policy name exactly who may publish.

resource "aws_cloudwatch_event_bus" "this" {
  name        = "${var.name}-events"
  description = "Tripcast ${var.name}: run-finished events and other platform events"

  tags = { Component = "events" }
}

# Events nobody matched are not kept; this archive lets a subscriber that was
# down replay the last days of events.
resource "aws_cloudwatch_event_archive" "this" {
  name             = "${var.name}-events"
  description      = "Every event on ${aws_cloudwatch_event_bus.this.name}, for replay"
  event_source_arn = aws_cloudwatch_event_bus.this.arn
  retention_days   = var.archive_retention_days
}
