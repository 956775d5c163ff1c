variable "name" {
  description = "Name prefix for every resource, {project}-{env}."
  type        = string
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete non-empty buckets (dev teardown); keep false in prod."
  type        = bool
  default     = false
}

variable "trip_data_ia_after_days" {
  description = "Days after which trip-data objects move to STANDARD_IA."
  type        = number
  default     = 30
}

variable "predictions_expire_after_days" {
  description = "Days after which batch prediction Parquet files expire (the database keeps the rows)."
  type        = number
  default     = 365
}

variable "rejects_expire_after_days" {
  description = "Days after which rejected rows and events under rejects/ expire."
  type        = number
  default     = 90
}

variable "noncurrent_version_expire_after_days" {
  description = "Days a replaced or deleted object version is kept in versioned buckets."
  type        = number
  default     = 30
}

variable "athena_results_expire_after_days" {
  description = "Days after which Athena query results are deleted (each query's results can be re-created by running it again)."
  type        = number
  default     = 7
}
