# Alarms on the five ways the platform fails quietly, all notifying one SNS
# topic (subscribe an e-mail address through var.alarm_email):
#   - the stream consumer falls behind (iterator age),
#   - batches were given up on (dead-letter queue depth),
#   - a batch run failed (custom metric from the scorer module),
#   - a model drifted past its alert threshold (custom metric from the scorer module's log filter),
#   - the console returns 5xx (ALB and targets).
# Log groups live with their components, each with a retention.

# Not encrypted with the AWS-managed aws/sns key on purpose: CloudWatch alarms
# cannot publish to a topic under that key (its key policy cannot grant the
# cloudwatch.amazonaws.com principal), and alarm messages carry no data.
resource "aws_sns_topic" "alarms" {
  name = "${var.name}-alarms"

  tags = { Component = "observability" }
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  actions = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "consumer_iterator_age" {
  alarm_name          = "${var.name}-consumer-iterator-age"
  alarm_description   = "The stream consumer is more than ${var.iterator_age_threshold_ms / 1000}s behind ride_events."
  namespace           = var.consumer_mode == "lambda" ? "AWS/Lambda" : "AWS/Kinesis"
  metric_name         = var.consumer_mode == "lambda" ? "IteratorAge" : "GetRecords.IteratorAgeMilliseconds"
  dimensions          = var.consumer_mode == "lambda" ? { FunctionName = var.consumer_function_name } : { StreamName = var.input_stream_name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  threshold           = var.iterator_age_threshold_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = { Component = "observability" }
}

resource "aws_cloudwatch_metric_alarm" "dead_letter_depth" {
  for_each = toset(var.dead_letter_queue_names)

  alarm_name          = "${each.value}-depth"
  alarm_description   = "Messages in ${each.value}: work was given up on and needs a look (see docs/deploy.md, Operations)."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = { Component = "observability" }
}

resource "aws_cloudwatch_metric_alarm" "failed_batch_runs" {
  alarm_name          = "${var.name}-scorer-failed-runs"
  alarm_description   = "A batch scoring run failed (non-zero exit or failed to start)."
  namespace           = var.failed_runs_metric.namespace
  metric_name         = var.failed_runs_metric.name
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions

  tags = { Component = "observability" }
}

resource "aws_cloudwatch_metric_alarm" "model_drift" {
  alarm_name          = "${var.name}-model-drift"
  alarm_description   = "A model's inputs or predictions drifted past the alert threshold (batch run or daily online/stream job): see the console's Monitoring page and acknowledge the alert there."
  namespace           = var.drift_alerts_metric.namespace
  metric_name         = var.drift_alerts_metric.name
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions

  tags = { Component = "observability" }
}

resource "aws_cloudwatch_metric_alarm" "console_5xx" {
  alarm_name          = "${var.name}-console-5xx"
  alarm_description   = "The console answered more than ${var.alb_5xx_threshold} 5xx responses in 5 minutes (ALB and targets)."
  evaluation_periods  = 1
  threshold           = var.alb_5xx_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  metric_query {
    id          = "total"
    expression  = "FILL(elb, 0) + FILL(target, 0)"
    label       = "5xx responses"
    return_data = true
  }

  metric_query {
    id = "elb"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "target"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      period      = 300
      stat        = "Sum"
    }
  }

  tags = { Component = "observability" }
}
