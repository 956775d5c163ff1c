terraform {
  # S3-native state locking (use_lockfile) needs Terraform 1.10; the modules themselves accept >= 1.5.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # Partial configuration: the bucket is per account, given at init time
  #   terraform init -backend-config="bucket=tripcast-tfstate-<account id>"
  # (docs/deploy.md, step 1). Each environment has its own key.
  backend "s3" {
    key          = "tripcast/prod/terraform.tfstate"
    region       = "us-east-1"
    encrypt      = true
    use_lockfile = true
  }
}
