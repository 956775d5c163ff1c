variable "region" {
  description = "AWS region of the environment (the backend's region is set in versions.tf)."
  type        = string
}

variable "environment" {
  description = "Environment name, part of every resource name."
  type        = string
}

variable "image_tag" {
  description = "Immutable tag of the three images to deploy (the git SHA pushed by npm run docker:build)."
  type        = string
}

variable "allow_destroy_with_data" {
  description = "Let terraform destroy remove buckets, repositories and the database without a final snapshot."
  type        = bool
}

variable "nat_gateway_count" {
  description = "NAT gateways (1, or one per AZ for AZ-independent egress)."
  type        = number
}

variable "allowed_ingress_cidrs" {
  description = "IPv4 CIDRs allowed to reach the console."
  type        = list(string)
}

variable "ride_events_shard_count" {
  description = "Shards of ride_events."
  type        = number
}

variable "ride_predictions_shard_count" {
  description = "Shards of ride_predictions."
  type        = number
}

variable "stream_retention_hours" {
  description = "Retention of both streams in hours."
  type        = number
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
}

variable "db_multi_az" {
  description = "Run a standby database in a second AZ."
  type        = bool
}

variable "db_backup_retention_days" {
  description = "Days of automated database backups."
  type        = number
}

variable "console_domain_name" {
  description = "Console host name for HTTPS; null serves HTTP on the ALB's name."
  type        = string
  default     = null
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone of console_domain_name."
  type        = string
  default     = null
}

variable "console_min_count" {
  description = "Minimum console tasks."
  type        = number
}

variable "console_max_count" {
  description = "Maximum console tasks."
  type        = number
}

variable "scheduled_taxi_types" {
  description = "Taxi types the monthly schedule scores."
  type        = list(string)
}

variable "consumer_mode" {
  description = "Where the stream consumer runs: lambda or ecs."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of every CloudWatch log group in days."
  type        = number
}

variable "alarm_email" {
  description = "E-mail address for alarm notifications; null for none."
  type        = string
  default     = null
}
