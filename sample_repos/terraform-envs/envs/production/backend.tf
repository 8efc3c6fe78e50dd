terraform {
  backend "s3" {
    bucket         = "shopfront-terraform-state"
    key            = "production/app.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "terraform-locks"
  }
}
