variable "name" {
  description = "Name prefix for every resource, {project}-{env}."
  type        = string
}

variable "predictions_bucket_name" {
  description = "Bucket the scorer writes its Parquet to (OUTPUT_FILE_PATTERN's root)."
  type        = string
}

variable "predictions_bucket_arn" {
  description = "ARN of that bucket."
  type        = string
}

variable "results_bucket_name" {
  description = "Bucket Athena writes query results to (under results/)."
  type        = string
}

variable "results_bucket_arn" {
  description = "ARN of that bucket."
  type        = string
}

variable "taxi_types" {
  description = "Taxi types the scorer may write (the projection's enum): the TLC's yellow, green and fhv."
  type        = list(string)
  default     = ["yellow", "green", "fhv"]
}

variable "first_year" {
  description = "First year the projection covers (the TLC's records start in 2009)."
  type        = number
  default     = 2009
}

variable "last_year" {
  description = "Last year the projection covers; a query without a year filter lists every year in range, so keep it near today."
  type        = number
  default     = 2035
}

variable "bytes_scanned_cutoff_per_query" {
  description = "A query that would scan more bytes than this is cancelled (cost guard); 10 GB scans years of green trips."
  type        = number
  default     = 10737418240
}

variable "force_destroy" {
  description = "Let terraform destroy the workgroup with its saved queries and history (dev teardown)."
  type        = bool
  default     = false
}
