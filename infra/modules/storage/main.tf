# The platform's three buckets. One layout, three purposes:
#   trip_data   - TLC months the scorer reads (INPUT_FILE_PATTERN). Re-downloadable
#                 from the TLC, so no versioning; old months move to cheaper tiers.
#   predictions - batch output Parquet (OUTPUT_FILE_PATTERN). Other applications read
#                 it, so versioning protects against an accidental overwrite or delete;
#                 old runs expire after a configurable age.
#   models      - the object store root (OBJECT_STORE_URI): models/<name>/<version>/
#                 and rejects/. Model artifacts are irreplaceable: versioning on.
#   athena_results - what Athena writes for each query over the predictions (the
#                 catalog module's workgroup); re-creatable, so it expires quickly.
#
# Encryption is SSE-S3 with bucket keys: no KMS key policy to manage and no KMS
# request charges; every bucket also refuses plain-HTTP requests.

data "aws_caller_identity" "current" {}

locals {
  buckets = {
    trip_data = {
      suffix     = "trip-data"
      versioning = false
    }
    predictions = {
      suffix     = "predictions"
      versioning = true
    }
    models = {
      suffix     = "models"
      versioning = true
    }
    athena_results = {
      suffix     = "athena-results"
      versioning = false
    }
  }
}

resource "aws_s3_bucket" "this" {
  for_each = local.buckets

  # Bucket names are global: the account id keeps them unique per account.
  bucket        = "${var.name}-${each.value.suffix}-${data.aws_caller_identity.current.account_id}"
  force_destroy = var.force_destroy

  tags = { Component = "storage", Purpose = each.key }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = local.buckets

  bucket                  = aws_s3_bucket.this[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    object_ownership = "BucketOwnerEnforced" # ACLs off
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  versioning_configuration {
    # "Disabled" is only valid before versioning was ever enabled; "Suspended" is safe either way.
    status = each.value.versioning ? "Enabled" : "Suspended"
  }
}

data "aws_iam_policy_document" "tls_only" {
  for_each = local.buckets

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"] # a deny-all on plain HTTP is the point of this statement

    resources = [
      aws_s3_bucket.this[each.key].arn,
      "${aws_s3_bucket.this[each.key].arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  policy = data.aws_iam_policy_document.tls_only[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "trip_data" {
  bucket = aws_s3_bucket.this["trip_data"].id

  rule {
    id     = "tier-old-months"
    status = "Enabled"

    filter {}

    transition {
      days          = var.trip_data_ia_after_days
      storage_class = "STANDARD_IA"
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "predictions" {
  bucket = aws_s3_bucket.this["predictions"].id

  rule {
    id     = "expire-old-runs"
    status = "Enabled"

    filter {}

    transition {
      days          = 30
      storage_class = "STANDARD_IA"
    }

    expiration {
      days = var.predictions_expire_after_days
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expire_after_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "models" {
  bucket = aws_s3_bucket.this["models"].id

  # Model artifacts never expire (a rollback needs them); only replaced versions do.
  rule {
    id     = "expire-replaced-artifacts"
    status = "Enabled"

    filter {
      prefix = "models/"
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expire_after_days
    }
  }

  # Rejected rows and events are kept for inspection, not forever.
  rule {
    id     = "expire-rejects"
    status = "Enabled"

    filter {
      prefix = "rejects/"
    }

    expiration {
      days = var.rejects_expire_after_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "athena_results" {
  bucket = aws_s3_bucket.this["athena_results"].id

  rule {
    id     = "expire-query-results"
    status = "Enabled"

    filter {}

    expiration {
      days = var.athena_results_expire_after_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}
