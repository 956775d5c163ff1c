variable "project" {
  description = "Project name, the first part of every resource name."
  type        = string
  default     = "tripcast"
}

variable "environment" {
  description = "Environment name (dev, prod), the second part of every resource name."
  type        = string
}

variable "image_tag" {
  description = "Immutable image tag (the git SHA) deployed for all three images."
  type        = string
}

variable "model_name" {
  description = "Registry name of the served model (MODEL_NAME)."
  type        = string
  default     = "ride_duration_prediction_model"
}

variable "allow_destroy_with_data" {
  description = "Dev convenience: let terraform destroy remove non-empty buckets and repositories, skip the final DB snapshot and drop deletion protection."
  type        = bool
  default     = false
}

# ------------------------------------------------------------------ network
variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "Availability zones to use (2-4)."
  type        = number
  default     = 2
}

variable "nat_gateway_count" {
  description = "NAT gateways: 1 in dev, one per AZ in prod."
  type        = number
  default     = 1
}

variable "interface_endpoint_services" {
  description = "Services reached through interface VPC endpoints (kinesis-streams keeps stream traffic private)."
  type        = list(string)
  default     = ["kinesis-streams"]
}

variable "allowed_ingress_cidrs" {
  description = "IPv4 CIDRs allowed to reach the console."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

# ---------------------------------------------------------- storage, streams
variable "predictions_expire_after_days" {
  description = "Days after which batch prediction files expire from S3."
  type        = number
  default     = 365
}

variable "ride_events_shard_count" {
  description = "Shards of ride_events."
  type        = number
  default     = 1
}

variable "ride_predictions_shard_count" {
  description = "Shards of ride_predictions."
  type        = number
  default     = 1
}

variable "stream_retention_hours" {
  description = "Retention of both streams in hours (24-8760)."
  type        = number
  default     = 24
}

# ----------------------------------------------------------------- database
variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.micro"
}

variable "db_allocated_storage_gb" {
  description = "Initial database storage in GB."
  type        = number
  default     = 20
}

variable "db_multi_az" {
  description = "Run a standby database in a second AZ."
  type        = bool
  default     = false
}

variable "db_backup_retention_days" {
  description = "Days of automated database backups."
  type        = number
  default     = 7
}

# ------------------------------------------------------------------ compute
variable "container_insights" {
  description = "Enable Container Insights on the ECS cluster."
  type        = bool
  default     = false
}

variable "console_domain_name" {
  description = "Console host name for HTTPS (with route53_zone_id); null serves HTTP on the ALB name."
  type        = string
  default     = null
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone of console_domain_name."
  type        = string
  default     = null
}

variable "console_cpu" {
  description = "Fargate CPU units per console task."
  type        = number
  default     = 512
}

variable "console_memory" {
  description = "Fargate memory per console task in MiB."
  type        = number
  default     = 1024
}

variable "console_min_count" {
  description = "Minimum console tasks."
  type        = number
  default     = 1
}

variable "console_max_count" {
  description = "Maximum console tasks."
  type        = number
  default     = 4
}

variable "scorer_cpu" {
  description = "Fargate CPU units per scorer run."
  type        = number
  default     = 2048
}

variable "scorer_memory" {
  description = "Fargate memory per scorer run in MiB."
  type        = number
  default     = 8192
}

variable "scheduled_taxi_types" {
  description = "Taxi types the monthly schedule scores."
  type        = list(string)
  default     = ["green"]
}

variable "schedule_enabled" {
  description = "Whether the monthly scorer schedule is enabled."
  type        = bool
  default     = true
}

variable "consumer_mode" {
  description = "Where the stream consumer runs: lambda or ecs."
  type        = string
  default     = "lambda"
}

variable "consumer_batch_size" {
  description = "Records per consumer Lambda invocation."
  type        = number
  default     = 100
}

variable "consumer_batching_window_seconds" {
  description = "Seconds the event source mapping waits to fill a batch."
  type        = number
  default     = 5
}

variable "consumer_maximum_retry_attempts" {
  description = "Retries of a failing batch before the on-failure destination."
  type        = number
  default     = 3
}

# ------------------------------------------------------------ observability
variable "log_retention_days" {
  description = "Retention of every CloudWatch log group in days."
  type        = number
  default     = 30
}

variable "alarm_email" {
  description = "E-mail address for alarm notifications; null for none."
  type        = string
  default     = null
}
