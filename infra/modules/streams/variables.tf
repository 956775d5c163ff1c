variable "name" {
  description = "Name prefix for every resource, {project}-{env}."
  type        = string
}

variable "ride_events_shard_count" {
  description = "Shards of the ride_events input stream (1 shard = 1 MB/s or 1,000 records/s in)."
  type        = number
  default     = 1
}

variable "ride_predictions_shard_count" {
  description = "Shards of the ride_predictions output stream."
  type        = number
  default     = 1
}

variable "retention_hours" {
  description = "How long records stay readable on both streams (24 to 8760 hours); also bounds how late a redrive can be."
  type        = number
  default     = 24

  validation {
    condition     = var.retention_hours >= 24 && var.retention_hours <= 8760
    error_message = "Kinesis retention must be between 24 and 8760 hours."
  }
}
