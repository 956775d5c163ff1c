output "stream_names" {
  description = "Stream name per role: ride_events (input) and ride_predictions (output)."
  value       = { for k, s in aws_kinesis_stream.this : k => s.name }
}

output "stream_arns" {
  description = "Stream ARN per role: ride_events and ride_predictions."
  value       = { for k, s in aws_kinesis_stream.this : k => s.arn }
}

output "dead_letter_queue_arn" {
  description = "ARN of the consumer's on-failure SQS queue."
  value       = aws_sqs_queue.dead_letter.arn
}

output "dead_letter_queue_name" {
  description = "Name of the consumer's on-failure SQS queue (for the depth alarm)."
  value       = aws_sqs_queue.dead_letter.name
}

output "dead_letter_queue_url" {
  description = "URL of the consumer's on-failure SQS queue."
  value       = aws_sqs_queue.dead_letter.id
}

output "producer_policy_arn" {
  description = "Managed policy to attach to a role that produces ride events."
  value       = aws_iam_policy.producer.arn
}
