variable "name" {
  description = "Name prefix for every resource, {project}-{env}; the bus is {name}-events."
  type        = string
}

variable "archive_retention_days" {
  description = "Days the archive keeps every event on the bus for replay (0 = forever)."
  type        = number
  default     = 14
}
