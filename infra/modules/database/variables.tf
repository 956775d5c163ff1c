variable "name" {
  description = "Name prefix for every resource, {project}-{env}."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the DB subnet group (at least two AZs)."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of the database (ingress from the platform's workloads only)."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL engine version: a major (RDS picks its default minor, and minor upgrades apply automatically) or major.minor; the parameter group family follows the major."
  type        = string
  default     = "17"
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.micro"
}

variable "database_name" {
  description = "Name of the application database."
  type        = string
  default     = "tripcast"
}

variable "master_username" {
  description = "Master user name (the applications connect as this user)."
  type        = string
  default     = "tripcast"
}

variable "allocated_storage_gb" {
  description = "Initial gp3 storage in GB."
  type        = number
  default     = 20
}

variable "max_allocated_storage_gb" {
  description = "Storage autoscaling ceiling in GB."
  type        = number
  default     = 100
}

variable "multi_az" {
  description = "Run a standby in a second AZ (prod)."
  type        = bool
  default     = false
}

variable "backup_retention_days" {
  description = "Days of automated backups and point-in-time recovery (1-35)."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "Backups must be kept between 1 and 35 days; 0 would disable them."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the instance (turn off before a teardown)."
  type        = bool
  default     = true
}

variable "skip_final_snapshot" {
  description = "Skip the final snapshot on destroy (dev only)."
  type        = bool
  default     = false
}

variable "performance_insights_enabled" {
  description = "Enable Performance Insights (free tier: 7 days)."
  type        = bool
  default     = false
}

variable "secret_recovery_window_days" {
  description = "Days a deleted secret can be restored (0 deletes at once, handy for dev teardown)."
  type        = number
  default     = 7
}
