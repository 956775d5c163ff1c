variable "name" {
  description = "Name prefix for every resource, {project}-{env}."
  type        = string
}

variable "mode" {
  description = "Where the consumer runs: lambda (event source mapping) or ecs (standalone poller service)."
  type        = string
  default     = "lambda"

  validation {
    condition     = contains(["lambda", "ecs"], var.mode)
    error_message = "mode must be lambda or ecs."
  }
}

variable "image" {
  description = "Full image URI of the stream consumer (repository URL and immutable tag)."
  type        = string
}

variable "repository_arn" {
  description = "ECR repository of the consumer image."
  type        = string
}

variable "cluster_arn" {
  description = "ECS cluster for the standalone poller (mode = ecs)."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the Lambda's ENIs and the poller tasks."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of the consumer."
  type        = string
}

variable "input_stream_name" {
  description = "Name of the ride_events stream (INPUT_STREAM_NAME)."
  type        = string
}

variable "input_stream_arn" {
  description = "ARN of the ride_events stream."
  type        = string
}

variable "predictions_stream_name" {
  description = "Name of the ride_predictions stream (PREDICTIONS_STREAM_NAME)."
  type        = string
}

variable "predictions_stream_arn" {
  description = "ARN of the ride_predictions stream."
  type        = string
}

variable "dead_letter_queue_arn" {
  description = "SQS queue that receives batches the Lambda gives up on."
  type        = string
}

variable "database_secret_arn" {
  description = "Secrets Manager secret with database_url."
  type        = string
}

variable "models_bucket_arn" {
  description = "ARN of the bucket holding models/ (OBJECT_STORE_URI)."
  type        = string
}

variable "object_store_uri" {
  description = "OBJECT_STORE_URI (s3:// root holding models/)."
  type        = string
}

variable "model_name" {
  description = "Registry name of the served model (MODEL_NAME)."
  type        = string
  default     = "ride_duration_prediction_model"
}

variable "batch_size" {
  description = "Records per Lambda invocation (1-10000)."
  type        = number
  default     = 100
}

variable "batching_window_seconds" {
  description = "Seconds Lambda waits to fill a batch (0-300); trades latency for fewer invocations."
  type        = number
  default     = 5
}

variable "parallelization_factor" {
  description = "Concurrent batches per shard (1-10); order per partition key is kept."
  type        = number
  default     = 1
}

variable "maximum_retry_attempts" {
  description = "Retries of a failing batch before it goes to the on-failure destination (bounded, never -1)."
  type        = number
  default     = 3

  validation {
    condition     = var.maximum_retry_attempts >= 0 && var.maximum_retry_attempts <= 10000
    error_message = "Retries must be bounded (0-10000); -1 would retry until the record expires."
  }
}

variable "maximum_record_age_seconds" {
  description = "Records older than this go to the on-failure destination instead of being retried (60-604800)."
  type        = number
  default     = 3600
}

variable "lambda_memory_mb" {
  description = "Lambda memory in MB (CPU scales with it)."
  type        = number
  default     = 1024
}

variable "lambda_timeout_seconds" {
  description = "Lambda timeout in seconds."
  type        = number
  default     = 60
}

variable "lambda_reserved_concurrency" {
  description = "Reserved concurrency of the Lambda; -1 (default) reserves none, the mapping already caps it at shards x parallelization_factor."
  type        = number
  default     = -1
}

variable "ecs_cpu" {
  description = "Fargate CPU units of a poller task (mode = ecs)."
  type        = number
  default     = 512
}

variable "ecs_memory" {
  description = "Fargate memory of a poller task in MiB (mode = ecs)."
  type        = number
  default     = 1024
}

variable "ecs_task_count" {
  description = "Poller tasks (mode = ecs); shards are shared out through leases in Postgres."
  type        = number
  default     = 1
}

variable "log_retention_days" {
  description = "CloudWatch log retention in days."
  type        = number
  default     = 30
}
