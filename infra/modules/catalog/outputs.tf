output "database_name" {
  description = "Glue database of the predictions table."
  value       = aws_glue_catalog_database.this.name
}

output "table_name" {
  description = "Glue table over the predictions Parquet (query it as <database>.<table>)."
  value       = aws_glue_catalog_table.batch_predictions.name
}

output "workgroup_name" {
  description = "Athena workgroup to run queries in (results under s3://<athena_results>/results/)."
  value       = aws_athena_workgroup.this.name
}

output "reader_policy_arn" {
  description = "Managed policy that lets a role query the predictions with Athena."
  value       = aws_iam_policy.reader.arn
}
