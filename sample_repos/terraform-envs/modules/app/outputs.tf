output "app_url" {
  value = "https://${local.app_host}"
}

output "db_endpoint" {
  value = aws_db_instance.main.endpoint
}
