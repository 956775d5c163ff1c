provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = "tripcast"
      Environment = var.environment
      ManagedBy   = "terraform"
      Repository  = "tripcast/infra"
    }
  }
}
