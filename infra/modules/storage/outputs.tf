output "bucket_names" {
  description = "Bucket name per purpose: trip_data, predictions, models, athena_results."
  value       = { for k, b in aws_s3_bucket.this : k => b.bucket }
}

output "bucket_arns" {
  description = "Bucket ARN per purpose: trip_data, predictions, models, athena_results."
  value       = { for k, b in aws_s3_bucket.this : k => b.arn }
}
