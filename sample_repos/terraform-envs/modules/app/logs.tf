resource "aws_cloudwatch_log_group" "app" {
  name              = "/ecs/shop-${var.environment}"
  retention_in_days = var.log_retention_days
}

# Created for the one-off migration task; nobody set a retention.
resource "aws_cloudwatch_log_group" "migrations" {
  name = "/ecs/shop-${var.environment}-migrations"
}
