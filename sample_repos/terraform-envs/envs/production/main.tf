module "app" {
  source = "../../modules/app"

  environment        = var.environment
  db_engine_version  = var.db_engine_version
  db_instance_class  = var.db_instance_class
  redis_nodes        = var.redis_nodes
  log_retention_days = var.log_retention_days
}

output "app_url" {
  value = module.app.app_url
}
