variable "name" {
  description = "Name prefix for every resource, {project}-{env}."
  type        = string
}

variable "image" {
  description = "Full image URI of the scorer (repository URL and immutable tag)."
  type        = string
}

variable "repository_arn" {
  description = "ECR repository of the scorer image (execution role pulls from it only)."
  type        = string
}

variable "cluster_arn" {
  description = "ECS cluster the scorer runs in."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for scorer tasks."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of scorer tasks."
  type        = string
}

variable "database_secret_arn" {
  description = "Secrets Manager secret whose database_url key becomes DATABASE_URL."
  type        = string
}

variable "bucket_names" {
  description = "Bucket names: trip_data, predictions, models."
  type        = object({ trip_data = string, predictions = string, models = string })
}

variable "bucket_arns" {
  description = "Bucket ARNs: trip_data, predictions, models."
  type        = object({ trip_data = string, predictions = string, models = string })
}

variable "run_events_bus_name" {
  description = "Name of that bus (RUN_EVENTS_BUS_NAME of the scorer container)."
  type        = string
}

variable "run_events_bus_arn" {
  description = "EventBridge bus the scorer announces finished runs on (events:PutEvents on it only)."
  type        = string
}

variable "model_name" {
  description = "Registry name of the served model (MODEL_NAME)."
  type        = string
  default     = "ride_duration_prediction_model"
}

variable "default_taxi_type" {
  description = "TAXI_TYPE of a run that does not override it."
  type        = string
  default     = "green"
}

variable "scheduled_taxi_types" {
  description = "Taxi types scored by the monthly schedule (one schedule each)."
  type        = list(string)
  default     = ["green"]

  validation {
    condition     = alltrue([for t in var.scheduled_taxi_types : contains(["yellow", "green", "fhv"], t)])
    error_message = "Taxi types are yellow, green or fhv."
  }
}

variable "schedule_expression" {
  description = "When the monthly run fires (UTC): the course's 0 3 2 * * in EventBridge syntax."
  type        = string
  default     = "cron(0 3 2 * ? *)"
}

variable "drift_schedule_expression" {
  description = "EventBridge Scheduler expression of the daily online/stream drift job (UTC)."
  type        = string
  default     = "cron(15 2 * * ? *)"
}

variable "schedule_enabled" {
  description = "Whether the monthly schedule is enabled."
  type        = bool
  default     = true
}

variable "cpu" {
  description = "Fargate CPU units of a scorer task (1024 = 1 vCPU)."
  type        = number
  default     = 2048
}

variable "memory" {
  description = "Fargate memory of a scorer task in MiB."
  type        = number
  default     = 8192
}

variable "ephemeral_storage_gib" {
  description = "Task ephemeral storage in GiB (21-200) for downloaded months and DuckDB spill."
  type        = number
  default     = 40
}

variable "log_retention_days" {
  description = "CloudWatch log retention in days."
  type        = number
  default     = 30
}
