output "alarm_topic_arn" {
  description = "SNS topic the alarms notify."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_names" {
  description = "Names of the platform's alarms."
  value = concat(
    [aws_cloudwatch_metric_alarm.consumer_iterator_age.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.dead_letter_depth : a.alarm_name],
    [aws_cloudwatch_metric_alarm.failed_batch_runs.alarm_name, aws_cloudwatch_metric_alarm.console_5xx.alarm_name],
  )
}
