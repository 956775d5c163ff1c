variable "name" {
  description = "Name prefix for every resource, {project}-{env}."
  type        = string
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic (confirm the subscription mail); null for none."
  type        = string
  default     = null
}

variable "consumer_mode" {
  description = "Where the consumer runs (lambda or ecs): picks the iterator-age metric."
  type        = string
}

variable "consumer_function_name" {
  description = "Name of the consumer Lambda."
  type        = string
}

variable "input_stream_name" {
  description = "Name of the ride_events stream (iterator age in ecs mode)."
  type        = string
}

variable "iterator_age_threshold_ms" {
  description = "Iterator age, in milliseconds, above which the consumer counts as behind."
  type        = number
  default     = 60000
}

variable "dead_letter_queue_names" {
  description = "SQS dead-letter queues whose depth must stay at zero."
  type        = list(string)
}

variable "failed_runs_metric" {
  description = "Custom metric counting failed batch runs: namespace and name."
  type        = object({ namespace = string, name = string })
}

variable "drift_alerts_metric" {
  description = "Custom metric counting model drift alerts (from the scorer module): namespace and name."
  type        = object({ namespace = string, name = string })
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the console's ALB."
  type        = string
}

variable "alb_5xx_threshold" {
  description = "5xx responses per 5 minutes above which the console alarm fires."
  type        = number
  default     = 5
}
